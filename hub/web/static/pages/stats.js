// 统计考核: the KPIs over a chosen period as bar charts (plain SVG), with the same figures as a CSV download for
// Excel, and above them their trend per day / week / month (uPlot, pages/stats_trend.js).
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { categoryOptions, directory } from "../ui.js";
import { createTrendPanel } from "./stats_trend.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Horizontal grouped bars: one row per unit/category, one bar per series.
function barChart(title, rows, series, { max, format = (v) => v } = {}) {
  const rowH = 14 * series.length + 10, labelW = 170, width = 640, plotW = width - labelW - 60;
  const top = Math.max(1e-9, max ?? Math.max(0, ...rows.flatMap((r) => series.map((x) => r[x.key] ?? 0))));
  const svg = s("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 28}`, class: "chart", role: "img" });
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    svg.append(s("text", { x: labelW - 6, y: y + rowH / 2, "text-anchor": "end", class: "label", translate: "no" }, r.name || r.key || "—"));
    series.forEach((x, j) => {
      const v = r[x.key];
      const w = v == null ? 0 : (v / top) * plotW;
      svg.append(s("rect", { x: labelW, y: y + j * 14, width: Math.max(0, w), height: 12, fill: x.colour, class: "bar" }));
      svg.append(s("text", { x: labelW + w + 4, y: y + j * 14 + 10, class: "value" }, v == null ? "—" : format(v)));
    });
  });
  const keys = h("div", { class: "chart-keys" }, ...series.map((x) => h("span", {}, h("i", { class: "dot", style: `background:${x.colour}` }), t(x.label))));
  return h("figure", { class: "chart-box" }, h("figcaption", {}, t(title)), keys, svg);
}

const day = (d) => d.toISOString().slice(0, 10);
// The local calendar date of a Date (the date inputs and the trend API speak local days).
const localDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

// A period fit for a bucket, ending on ``last`` (yyyy-mm-dd): 30 days, 12 whole weeks (from a Monday), 12 months.
function spanFor(bucket, last) {
  const end = new Date(`${last}T00:00:00`);
  if (bucket === "week") return localDay(new Date(end.getFullYear(), end.getMonth(), end.getDate() - ((end.getDay() + 6) % 7) - 77));
  if (bucket === "month") return localDay(new Date(end.getFullYear(), end.getMonth() - 11, 1));
  return localDay(new Date(end.getFullYear(), end.getMonth(), end.getDate() - 29));
}

export async function mount(root, ctx) {
  const today = new Date();
  const from = h("input", { type: "date", value: day(new Date(today - 29 * 864e5)), name: "from" });
  const to = h("input", { type: "date", value: day(today), name: "to" });
  const group = h("select", { name: "group_by" },
    h("option", { value: "grid" }, t("stats.grid")), h("option", { value: "community" }, t("stats.community")),
    h("option", { value: "category" }, t("stats.category")));
  const dir = await directory();
  // the unit: the operator's whole scope, a community or one grid (by name); the category: one or all
  const unit = h("select", { name: "unit", "data-testid": "stats-unit" }, h("option", { value: "" }, t("stats.allUnits")));
  const communities = new Map();
  for (const g of [...dir.grids.values()].sort((a, b) => a.code.localeCompare(b.code))) {
    if (g.parent && !communities.has(g.parent)) {
      communities.set(g.parent, true);
      unit.append(h("option", { value: g.parent, translate: "no", class: "data" }, g.parent_name || g.parent));
    }
    unit.append(h("option", { value: g.code, translate: "no", class: "data" }, `\u2003${g.name || g.code}`));
  }
  const category = h("select", { name: "category", "data-testid": "stats-category" },
    ...categoryOptions(dir, "", { includeEmpty: true, emptyLabel: t("cases.allCategories") }));
  unit.addEventListener("change", () => load());
  category.addEventListener("change", () => load());
  const trend = createTrendPanel({ onBucket: (bucket) => { from.value = spanFor(bucket, to.value); load(); } });
  const csv = h("a", { class: "button", "data-testid": "csv", download: "" }, t("stats.csv"));
  const totals = h("div", { class: "totals", "data-testid": "totals" });
  const charts = h("div", { class: "charts" });
  const preset = (days) => () => { from.value = day(new Date(Date.now() - (days - 1) * 864e5)); to.value = day(new Date()); load(); };
  root.append(h("section", { class: "panel stats" }, h("h2", {}, t("stats.title")),
    h("div", { class: "filters" },
      h("label", {}, t("stats.from"), from), h("label", {}, t("stats.to"), to), h("label", {}, t("stats.group"), group),
      h("label", {}, t("stats.unit"), unit), h("label", {}, t("case.category"), category),
      h("button", { type: "button", onclick: preset(7) }, t("stats.7d")),
      h("button", { type: "button", onclick: preset(30) }, t("stats.30d")),
      h("button", { type: "button", class: "primary", onclick: () => load() }, t("stats.show")), csv),
    totals, trend.el, charts));

  async function load() {
    // Local midnight to the midnight after "to": whole days as the operator means them.
    const start = new Date(`${from.value}T00:00:00`), end = new Date(new Date(`${to.value}T00:00:00`).getTime() + 864e5);
    const params = { from: start.toISOString(), to: end.toISOString(), group_by: group.value,
                     unit: unit.value || ctx.me.scope_code, category: category.value || undefined };
    csv.href = `/api/kpis.csv${qs(params)}`;
    trend.load({ from: from.value, to: to.value, unit: params.unit, category: params.category }).catch((err) => {
      trend.el.dataset.error = String(err.message || err);
    });
    // 回访率 / 满意率 (hub/followup) of the closings in the same period; by grid or category where the grouping has them
    const fuBy = ["grid", "category"].includes(group.value) ? group.value : undefined;
    const [report, fuTotal, fuRows] = await Promise.all([
      api.get(`/api/kpis${qs(params)}`),
      api.get(`/api/followups/kpis${qs({ start: params.from, end: params.to })}`),
      fuBy ? api.get(`/api/followups/kpis${qs({ start: params.from, end: params.to, by: fuBy })}`) : null]);
    const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);
    const mins = (v) => (v == null ? "—" : `${(v / 60).toFixed(0)} ${t("unit.min")}`);
    const tot = report.total;
    totals.replaceChildren(...[
      ["stats.reported", tot.reported], ["stats.filed", tot.filed], ["stats.closed", tot.closed],
      ["stats.closure", pct(tot.closure_rate)], ["stats.onTime", pct(tot.on_time_closure_rate)],
      ["stats.rework", pct(tot.rework_rate)], ["stats.accept", mins(tot.mean_accept_s)],
      ["stats.resolve", mins(tot.mean_resolve_s)], ["stats.overdue", tot.overdue_now],
      ["fu.rate", pct(fuTotal.rows[0]?.followup_rate)], ["fu.satisfaction", pct(fuTotal.rows[0]?.satisfaction_rate)],
    ].map(([k, v]) => h("div", { class: "kpi" }, h("span", { class: "muted" }, t(k)), h("b", {}, v))));
    const fu = new Map((fuRows?.rows || []).map((r) => [r.key, r]));
    const rows = report.rows.map((r) => ({ ...r, mean_accept_min: r.mean_accept_s == null ? null : r.mean_accept_s / 60,
                                             mean_resolve_min: r.mean_resolve_s == null ? null : r.mean_resolve_s / 60,
                                             followup_rate: fu.get(r.key)?.followup_rate ?? null,
                                             satisfaction_rate: fu.get(r.key)?.satisfaction_rate ?? null }));
    if (!rows.length) { charts.replaceChildren(h("p", { class: "muted" }, t("stats.none"))); return; }
    charts.replaceChildren(...[
      barChart("stats.counts", rows, [
        { key: "reported", label: "stats.reported", colour: "#5b8def" },
        { key: "filed", label: "stats.filed", colour: "#f0b400" },
        { key: "closed", label: "stats.closed", colour: "#0a9d5a" }]),
      barChart("stats.rates", rows, [
        { key: "closure_rate", label: "stats.closure", colour: "#0a9d5a" },
        { key: "on_time_closure_rate", label: "stats.onTime", colour: "#1f6fe0" },
        { key: "rework_rate", label: "stats.rework", colour: "#e0262b" }], { max: 1, format: pct }),
      fuBy ? barChart("fu.title", rows, [
        { key: "followup_rate", label: "fu.rate", colour: "#1f9d8a" },
        { key: "satisfaction_rate", label: "fu.satisfaction", colour: "#f08a00" }], { max: 1, format: pct }) : null,
      barChart("stats.times", rows, [
        { key: "mean_accept_min", label: "stats.accept", colour: "#8e6bd8" },
        { key: "mean_resolve_min", label: "stats.resolve", colour: "#d87f2b" }], { format: (v) => v.toFixed(0) }),
    ].filter(Boolean));
  }
  await load();
  return () => trend.destroy();
}
