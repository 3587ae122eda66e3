// 实时地图: grids by open-case load, case pins by level, terminals and patrols moving live; the feed alongside.
import { api } from "../api.js";
import { debounce, h, LEVEL_COLOURS } from "../dom.js";
import { createFeed } from "../feed.js";
import { t } from "../i18n.js";
import { onLive } from "../live.js";
import { createMap } from "../mapview.js";

export async function mount(root, ctx) {
  const mapEl = h("div", { id: "map", class: "map", "data-testid": "map" });
  const side = h("aside", { class: "side" }, h("h2", {}, t("feed.title")));
  const legend = h("div", { class: "legend" },
    ...["red", "yellow", "blue"].map((lv) => h("span", {}, h("i", { class: "dot", style: `background:${LEVEL_COLOURS[lv]}` }), t(`level.${lv}`))),
    h("span", {}, h("i", { class: "dot", style: "background:#0a9d5a" }), t("map.online")),
    h("span", {}, h("i", { class: "dot", style: "background:#e39b00" }), t("dev.stale")),
    h("span", {}, h("i", { class: "dot", style: "background:#8a94a6" }), t("map.offline")),
    ctx.config.tile_url ? null : h("span", { class: "muted" }, t("map.noTiles")));
  root.append(h("section", { class: "map-page" }, h("div", { class: "map-wrap" }, mapEl, legend), side));
  const view = createMap(mapEl, ctx.config, { onCaseClick: (id) => ctx.navigate(`#/case/${id}`) });
  const feed = createFeed(side, { compact: true, onOpen: (id) => ctx.navigate(`#/case/${id}`) });
  window.__gridline.map = view;

  const loadGrids = async () => view.setGrids(await api.get("/api/map/grids"));
  const loadCases = async () => view.setCases(await api.get("/api/map/cases"));
  const loadDevices = async () => {
    const d = await api.get("/api/map/devices");
    view.setDevices(d.devices, d.stale_after_s, Date.parse(d.now));
  };
  const refresh = debounce(() => { loadCases(); loadGrids(); }, 300);
  const offs = [
    onLive("case", (ev) => { feed.add(ev); refresh(); }),
    onLive("positions", (msg) => view.devices.updatePositions(msg.p)),
    onLive("device", (d) => { if (!view.devices.setPresence(d)) loadDevices(); }),
    onLive("reset", () => { loadCases(); loadGrids(); loadDevices(); }),
  ];
  await Promise.all([loadGrids(), loadCases(), loadDevices(),
                     api.get("/api/live/recent?limit=30").then((items) => feed.load(items))]);
  const timer = setInterval(loadDevices, 60000); // staleness and heartbeat figures
  return () => { offs.forEach((off) => off()); clearInterval(timer); feed.destroy(); view.destroy(); };
}
