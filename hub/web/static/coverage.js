// The map's patrol coverage layer (关爱巡查): each grid with checkpoints outlined and filled by the share of its
// checkpoints visited within their radius in the last 7 days (GET /api/patrols/coverage, the operator's scope),
// labelled "visited/all". Grids without checkpoints are left as they are. Its own pane, like the density layer.
import { api } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const L = window.L;
const DAYS = 7;
// below half visited / some missed / every checkpoint visited
const shade = (share) => (share < 0.5 ? "#d62828" : share < 1 ? "#f4a100" : "#2a9d8f");

/** The layer and its toggle (a checkbox, and the grids it drew listed under it) for ``view`` (mapview.js). */
export function createCoverage(view) {
  const pane = view.map.getPane("coverage") || view.map.createPane("coverage");
  pane.style.zIndex = 365;
  pane.style.pointerEvents = "none";
  const layer = L.layerGroup();
  const on = h("input", { type: "checkbox", name: "coverage", "data-testid": "coverage-toggle" });
  const list = h("ul", { class: "coverage-list", "data-testid": "coverage-list", hidden: true });
  const el = h("div", { class: "coverage-control", "data-testid": "coverage" },
    h("label", {}, on, t("coverage.title", { n: DAYS })), list);
  let seq = 0;

  async function draw() {
    const mine = ++seq;
    if (!on.checked) {
      layer.clearLayers(); layer.remove(); list.hidden = true; el.dataset.grids = "0";
      return;
    }
    const since = new Date(Date.now() - DAYS * 86400000).toISOString();
    const [rows, grids] = await Promise.all([api.get(`/api/patrols/coverage?since=${encodeURIComponent(since)}`),
                                             api.get("/api/map/grids")]);
    if (mine !== seq || !on.checked) return;
    const byCode = new Map(rows.filter((r) => r.checkpoints > 0).map((r) => [r.grid_code, r]));
    layer.clearLayers();
    const items = [];
    for (const f of grids.features) {
      const row = byCode.get(f.properties.code);
      if (!row || !f.geometry) continue;
      const colour = shade(row.share);
      L.geoJSON(f, { pane: "coverage", interactive: false, coordsToLatLng: (c) => L.latLng(...view.show(c[1], c[0])),
                     style: { color: colour, weight: 4, fillColor: colour, fillOpacity: 0.28 } }).addTo(layer);
      items.push(h("li", { dataset: { grid: row.grid_code, share: String(row.share) } },
        h("i", { style: `background:${colour}` }), `${f.properties.name} `,
        h("b", {}, t("coverage.share", { visited: row.visited, all: row.checkpoints,
                                         pct: Math.round(row.share * 100) }))));
    }
    layer.addTo(view.map);
    list.replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, t("coverage.none"))]));
    list.hidden = false;
    el.dataset.grids = String(items.length);
  }
  const redraw = () => draw().catch((err) => { el.dataset.error = String(err.message || err); });
  on.addEventListener("change", redraw);
  return { el, redraw, destroy() { seq++; layer.remove(); } };
}
