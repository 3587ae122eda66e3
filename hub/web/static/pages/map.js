// 实时地图: grids coloured by the cases that still need work, case pins (clustered when zoomed out; a click opens
// the case's card), terminals and patrols moving live; the feed alongside. The legend says what counts.
import { api } from "../api.js";
import { basemapOf } from "../basemap.js";
import { h, LEVEL_COLOURS } from "../dom.js";
import { createCoverage } from "../coverage.js";
import { createDensity } from "../density.js";
import { createFeed } from "../feed.js";
import { t } from "../i18n.js";
import { onLive } from "../live.js";
import { createMap } from "../mapview.js";

const REFRESH_MS = 1000; // case and grid snapshots at most this often while events stream in

// Run ``fn`` at most once per ``ms``, the last call never lost (a burst of events: one reload, not none).
function throttled(fn, ms) {
  let timer = null, last = 0;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, Math.max(0, last + ms - Date.now()));
  };
}

function legend(config) {
  const item = (cls, label, style = "") => h("span", { class: "lg-item" }, h("i", { class: cls, style }), label);
  return h("div", { class: "legend map-legend", "data-testid": "map-legend" },
    h("div", { class: "lg-row" },
      h("b", {}, t("map.legend.fill")),
      ...["red", "yellow", "blue"].map((lv) => item("lg-fill", t(`level.${lv}`), `background:${LEVEL_COLOURS[lv]}`)),
      item("lg-fill check", t("map.legend.checkOnly"))),
    h("div", { class: "lg-row" },
      h("b", {}, t("map.legend.pins")),
      item("lg-pin phase-open level-red", t("map.legend.open")),
      item("lg-pin phase-open level-red overdue", t("map.legend.overdue")),
      item("lg-pin phase-suspended", t("map.legend.suspended")),
      item("lg-pin phase-check", t("map.legend.check")),
      item("lg-cluster level-red", t("map.legend.cluster"))),
    h("div", { class: "lg-row" },
      h("b", {}, t("map.legend.devices")),
      item("lg-dot", t("map.online"), "background:#0a9d5a"),
      item("lg-dot", t("dev.stale"), "background:#e39b00"),
      item("lg-dot", t("map.offline"), "background:#8a94a6"),
      item("lg-square", t("map.legend.fixed")),
      item("lg-tail", t("map.legend.tail"))),
    h("div", { class: "lg-row muted" }, t("map.legend.closed"),
      basemapOf(config).layers.length ? null : h("span", {}, ` · ${t("map.noTiles")}`)));
}

export async function mount(root, ctx) {
  const mapEl = h("div", { id: "map", class: "map", "data-testid": "map" });
  const side = h("aside", { class: "side" }, h("h2", {}, t("feed.title")));
  const summary = h("div", { class: "map-summary", "data-testid": "map-summary" });
  const key = legend(ctx.config);
  root.append(h("section", { class: "map-page" }, h("div", { class: "map-wrap" }, mapEl, summary, key), side));
  const view = createMap(mapEl, ctx.config, {
    onCaseClick: (id) => ctx.navigate(`#/case/${id}`),
    fitPadding: () => ({ topLeft: [24, 48], bottomRight: [24, key.offsetHeight + 28] }),
  });
  const feed = createFeed(side, { compact: true, onOpen: (id) => ctx.navigate(`#/case/${id}`) });
  const density = createDensity(view); // off until the operator ticks it
  const coverage = createCoverage(view); // 关爱巡查: checkpoints visited per grid, off until ticked
  mapEl.parentElement.append(h("div", { class: "map-layers" }, density.el, coverage.el));
  window.__gridline.map = view;

  function drawSummary(fc) {
    const sum = { open: 0, overdue: 0, suspended: 0, awaiting_check: 0 };
    for (const f of fc.features) for (const k of Object.keys(sum)) sum[k] += f.properties[k] || 0;
    const chip = (cls, text, n) => h("span", { class: `sum ${cls}${n ? "" : " zero"}`, dataset: { n } }, text);
    summary.replaceChildren(
      chip("open", t("map.needsWork", { n: sum.open }), sum.open),
      chip("overdue", t("map.overdueN", { n: sum.overdue }), sum.overdue),
      chip("suspended", t("map.suspendedN", { n: sum.suspended }), sum.suspended),
      chip("check", t("map.checkN", { n: sum.awaiting_check }), sum.awaiting_check));
  }

  const loadGrids = async () => {
    const fc = await api.get("/api/map/grids");
    view.setGrids(fc);
    drawSummary(fc);
  };
  const loadCases = async () => view.setCases(await api.get("/api/map/cases"));
  const loadDevices = async () => {
    const d = await api.get("/api/map/devices");
    view.setDevices(d.devices, d.stale_after_s, Date.parse(d.now));
  };
  const refresh = throttled(() => { loadCases().catch(() => {}); loadGrids().catch(() => {}); }, REFRESH_MS);
  const offs = [
    onLive("case", (ev) => { feed.add(ev); refresh(); }),
    onLive("positions", (msg) => view.devices.updatePositions(msg.p)),
    onLive("device", (d) => { if (!view.devices.setPresence(d)) loadDevices(); }),
    onLive("reset", () => { // fell behind: fresh snapshots, and the feed's missed events from the trail
      loadCases(); loadGrids(); loadDevices();
      api.get("/api/live/recent?limit=200").then((items) => feed.load(items)).catch(() => {});
    }),
  ];
  await Promise.all([loadGrids(), loadCases(), loadDevices(),
                     api.get("/api/live/recent?limit=200").then((items) => feed.load(items))]);
  const timer = setInterval(loadDevices, 60000); // staleness and heartbeat figures
  return () => { offs.forEach((off) => off()); clearInterval(timer); feed.destroy(); density.destroy(); coverage.destroy(); view.destroy(); };
}
