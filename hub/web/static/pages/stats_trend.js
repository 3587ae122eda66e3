// 统计考核's trend panel: the headline KPIs per day / week / month (GET /api/kpis/trend) as two uPlot charts,
// counts and rates. uPlot (hub/web/vendor/uplot, MIT) is loaded here, on the statistics page only.
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../ui.js";

let loading = null;

// The vendored uPlot script and its stylesheet, once per page load (the other pages never pay for it).
export function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  loading ||= new Promise((resolve, reject) => {
    for (const href of ["/vendor/uplot/uPlot.min.css", "/app/pages/stats_trend.css"]) {
      document.head.append(h("link", { rel: "stylesheet", href }));
    }
    const script = h("script", { src: "/vendor/uplot/uPlot.iife.min.js" });
    script.onload = () => resolve(window.uPlot);
    script.onerror = () => { loading = null; reject(new Error("uPlot did not load")); };
    document.head.append(script);
  });
  return loading;
}

const COUNTS = [
  { key: "reported", label: "stats.reported", colour: "#5b8def" },
  { key: "filed", label: "stats.filed", colour: "#f0b400", dash: [6, 4] }, // dashed: often equal to 上报数
  { key: "closed", label: "stats.closed", colour: "#0a9d5a" }];
const RATES = [
  { key: "closure_rate", label: "stats.closure", colour: "#0a9d5a" },
  { key: "on_time_closure_rate", label: "stats.onTime", colour: "#1f6fe0", dash: [6, 4] }, // never above 结案率
  { key: "rework_rate", label: "stats.rework", colour: "#e0262b" }];
const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);
const AXIS = { stroke: "#5a6478", grid: { stroke: "#e6e9f0", width: 1 }, ticks: { stroke: "#e6e9f0", width: 1 },
               font: "12px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif" };

// A bucket's label on the axis: 6/3 for days and weeks (the year only where it changes), 2024-06 for months.
function tickText(labels, bucket) {
  return (i, prev) => {
    const text = labels[i];
    if (text == null) return "";
    if (bucket === "month") return text;
    const [y, m, d] = text.split("-");
    return prev == null || labels[prev]?.slice(0, 4) !== y ? `${y}-${+m}-${+d}` : `${+m}-${+d}`;
  };
}

function chart(uPlot, { title, testid, points, series, bucket, width, rate }) {
  const labels = points.map((p) => p.label);
  const xs = labels.map((_, i) => i);
  const tick = tickText(labels, bucket);
  const opts = {
    width, height: 240,
    scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] },
              y: rate ? { range: [0, 1] } : { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: t(`trend.x.${bucket}`), value: (u, v) => (v == null ? "—" : labels[v] ?? "—") },
      ...series.map((s) => ({ label: t(s.label), stroke: s.colour, width: 2, dash: s.dash, fill: rate ? undefined : `${s.colour}14`,
                              points: { show: labels.length <= 60, size: 5 }, spanGaps: false,
                              value: (u, v) => (v == null ? "—" : rate ? pct(v) : String(v)) }))],
    axes: [
      { ...AXIS, label: t(`trend.x.${bucket}`), incrs: [1, 2, 3, 4, 6, 7, 12, 14, 28, 30, 60, 90], space: 56,
        values: (u, splits) => splits.map((i, n) => (Number.isInteger(i) ? tick(i, n ? splits[n - 1] : null) : "")) },
      { ...AXIS, label: t(rate ? "trend.rateAxis" : "trend.countAxis"), size: 56,
        values: (u, splits) => splits.map((v) => (rate ? `${Math.round(v * 100)}%` : (Number.isInteger(v) ? String(v) : ""))) },
    ],
  };
  const data = [xs, ...series.map((s) => points.map((p) => p[s.key]))];
  const box = h("figure", { class: "chart-box trend-chart", "data-testid": testid }, h("figcaption", {}, t(title)));
  const plot = new uPlot(opts, data, box);
  return { box, plot };
}

/** The panel: a bucket picker (日/周/月) and the two charts for the page's period, unit and category. */
export function createTrendPanel({ onBucket }) {
  const bucket = h("select", { name: "bucket", "data-testid": "trend-bucket" },
    ...["day", "week", "month"].map((b) => h("option", { value: b }, t(`trend.${b}`))));
  bucket.addEventListener("change", () => onBucket(bucket.value));
  const note = h("p", { class: "muted trend-note" });
  const charts = h("div", { class: "trend-charts" });
  const el = h("section", { class: "trend", "data-testid": "trend" },
    h("div", { class: "trend-head" }, h("h3", {}, t("trend.title")), h("label", {}, t("trend.bucket"), bucket), note),
    charts);
  let plots = [], last = null, seq = 0;

  function draw(uPlot, body) {
    plots.forEach((p) => p.destroy());
    const width = Math.max(320, Math.floor((charts.clientWidth - 12) / (charts.clientWidth >= 1100 ? 2 : 1)) - 18);
    const common = { points: body.points, bucket: body.bucket, width };
    const made = [chart(uPlot, { ...common, title: "trend.counts", testid: "trend-counts", series: COUNTS }),
                  chart(uPlot, { ...common, title: "trend.rates", testid: "trend-rates", series: RATES, rate: true })];
    plots = made.map((m) => m.plot);
    charts.replaceChildren(...made.map((m) => m.box));
    el.dataset.points = String(body.points.length);
    el.dataset.bucket = body.bucket;
  }

  async function load({ from, to, unit, category }) {
    const mine = ++seq;
    let uPlot, body;
    try {
      [uPlot, body] = await Promise.all([
        loadUplot(), api.get(`/api/kpis/trend${qs({ from, to, bucket: bucket.value, unit, category })}`)]);
    } catch (err) { // e.g. two years of days: say so rather than keep an old chart under new filters
      if (mine !== seq) return;
      last = null;
      plots.forEach((p) => p.destroy());
      plots = [];
      charts.replaceChildren(h("p", { class: "muted", "data-testid": "trend-error" },
        err.status === 422 ? t("trend.tooMany") : errorText(err)));
      el.dataset.points = "0";
      return;
    }
    if (mine !== seq) return; // a newer request is on its way
    last = { uPlot, body };
    note.textContent = t("trend.note");
    draw(uPlot, body);
  }

  // Charts are drawn at a pixel width: redraw when the panel's width changes (window resized, side bar).
  let width = 0;
  const resized = new ResizeObserver(() => {
    if (last && Math.abs(charts.clientWidth - width) > 8) { width = charts.clientWidth; draw(last.uPlot, last.body); }
  });
  resized.observe(charts);
  return {
    el, load,
    get bucket() { return bucket.value; },
    set bucket(value) { bucket.value = value; },
    destroy() { resized.disconnect(); plots.forEach((p) => p.destroy()); plots = []; },
  };
}
