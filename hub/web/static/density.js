// The map's report density layer: where the cases reported in a period came from, as cells of ~150 m coloured
// by count (GET /api/map/density bins the positions server-side, in the operator's scope). Plain Leaflet
// rectangles on their own pane, between the grid fills and the grid labels: pins and labels stay readable.
import { api, qs } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const L = window.L;
const RAMP = ["#fff3b0", "#ffd166", "#f8961e", "#e85d04", "#b5179e"]; // few → many
const PERIODS = [7, 30, 90];
const localDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

// A count's class on a square-root scale: one busy corner must not wash every other cell into the first class.
const shade = (n, max) => RAMP[Math.min(RAMP.length - 1, Math.floor(Math.sqrt(n / max) * RAMP.length))];

/** The layer, and the toggle (a checkbox and a period) that draws it onto ``view`` (mapview.js). */
export function createDensity(view) {
  const pane = view.map.getPane("density") || view.map.createPane("density");
  pane.style.zIndex = 360;
  pane.style.pointerEvents = "none";
  const layer = L.layerGroup();
  // SVG for a community's few hundred cells; one canvas for a city's thousands (11k cells: one draw, not 11k nodes)
  const svg = L.svg({ pane: "density" }), canvas = L.canvas({ pane: "density" });
  const on = h("input", { type: "checkbox", name: "density", "data-testid": "density-toggle" });
  const period = h("select", { name: "density-days", "data-testid": "density-days" },
    ...PERIODS.map((d) => h("option", { value: d, selected: d === 30 }, t("density.days", { n: d }))));
  const scale = h("div", { class: "density-scale", "data-testid": "density-scale", hidden: true });
  const el = h("div", { class: "density-control", "data-testid": "density" },
    h("label", {}, on, t("density.title")), period, scale);
  let seq = 0;

  async function draw() {
    const mine = ++seq;
    if (!on.checked) {
      layer.clearLayers(); layer.remove(); scale.hidden = true; el.dataset.cells = "0";
      return;
    }
    const today = new Date();
    const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (+period.value - 1));
    const body = await api.get(`/api/map/density${qs({ from: localDay(from), to: localDay(today) })}`);
    if (mine !== seq || !on.checked) return;
    layer.clearLayers();
    const renderer = body.cells.length > 3000 ? canvas : svg;
    for (const c of body.cells) {
      const bounds = [view.show(c.south, c.west), view.show(c.north, c.east)];
      L.rectangle(bounds, { renderer, pane: "density", interactive: false, stroke: true, weight: 0.5,
                            color: "#7a3d00", opacity: 0.35, fillColor: shade(c.n, body.max), fillOpacity: 0.72 })
        .addTo(layer);
    }
    layer.addTo(view.map);
    scale.hidden = false;
    scale.replaceChildren(h("span", {}, t("density.scale", { total: body.total, max: body.max })),
      h("span", { class: "density-ramp" }, ...RAMP.map((colour) => h("i", { style: `background:${colour}` }))));
    el.dataset.cells = String(body.cells.length);
  }
  const redraw = () => draw().catch((err) => { el.dataset.error = String(err.message || err); });
  on.addEventListener("change", redraw);
  period.addEventListener("change", redraw);
  return { el, redraw, destroy() { seq++; layer.remove(); } };
}
