// The Leaflet map: grid polygons coloured by open-case load, case pins by level, and terminals on one
// canvas layer (2,000 moving dots with tails cost one draw per frame, not 2,000 DOM/SVG objects).
import { displayTransform } from "./gcj02.js";
import { h, LEVEL_COLOURS } from "./dom.js";
import { t } from "./i18n.js";

const L = window.L;
const ANIMATE_MS = 800; // a fix glides from the previous one rather than jumping
const TAIL = 8;

export function createMap(el, config, { onCaseClick } = {}) {
  // No zoom/fade animations: nothing to gain on a wall screen, and a page left mid-animation breaks Leaflet.
  const map = L.map(el, { zoomControl: true, attributionControl: !!config.tile_url, zoomSnap: 0.25,
                          zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false });
  const show = displayTransform(config.tile_url ? config.tile_crs : "wgs84");
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.attribution || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  map.setView([22.25, 113.52], 15);
  const grids = L.geoJSON(null, {
    coordsToLatLng: (c) => L.latLng(...show(c[1], c[0])),
    style: (f) => gridStyle(f.properties),
    onEachFeature: (f, layer) => layer.bindTooltip(() => gridLabel(f.properties), { sticky: true }),
  }).addTo(map);
  const pins = L.layerGroup().addTo(map);
  const devices = new DeviceLayer(show).addTo(map);
  let fitted = false, destroyed = false;
  return {
    map, devices, show,
    setGrids(fc) {
      if (destroyed) return; // a fetch that finished after the page was left
      grids.clearLayers();
      grids.addData(fc);
      devices.setGridCentres(fc);
      if (!fitted && fc.features.length) {
        map.fitBounds(grids.getBounds(), { padding: [20, 20] });
        fitted = true;
      }
    },
    setCases(list) {
      if (destroyed) return;
      pins.clearLayers();
      for (const c of list) {
        if (c.lat == null || c.lon == null) continue;
        const marker = L.circleMarker(show(c.lat, c.lon), {
          radius: c.overdue ? 10 : 8, color: c.overdue ? "#111" : "#fff", weight: c.overdue ? 3 : 2,
          fillColor: LEVEL_COLOURS[c.level] || "#888", fillOpacity: 0.95,
          className: `case-pin level-${c.level} case-${c.id}`,
        });
        marker.bindTooltip(h("span", {}, `${c.title || c.category_zh || c.category_code} · ${t("state." + c.state)}`));
        if (onCaseClick) marker.on("click", () => onCaseClick(c.id));
        marker.addTo(pins);
      }
    },
    setDevices(list, staleAfterS, hubNowMs) { if (!destroyed) devices.setDevices(list, staleAfterS, hubNowMs); },
    destroy() { destroyed = true; devices.stop(); map.remove(); },
  };
}

function gridStyle(p) {
  const colour = p.max_level ? LEVEL_COLOURS[p.max_level] : "#6b7a8f";
  const load = Math.min(1, (p.open || 0) / 5);
  return { color: "#33415c", weight: 1.5, fillColor: colour, fillOpacity: p.open ? 0.15 + 0.35 * load : 0.06 };
}

function gridLabel(p) {
  let s = t("map.open", { n: p.open || 0 });
  if (p.overdue) s += ` · ${t("map.overdue", { n: p.overdue })}`;
  return h("div", {}, h("b", {}, p.name), h("br"), s);
}

// Terminals: dots (online green / offline grey / stale amber ring), tails for those that move, squares for
// fixed terminals placed at their grid. Drawn on a canvas that follows the map; animated with rAF.
const DeviceLayer = L.Layer.extend({
  initialize(show) {
    this.show = show;
    this.items = new Map(); // id -> {id, kind, state, stale, tail:[[lat,lon]], from, to, t0, placed}
    this.gridCentres = new Map();
    this.dirty = true;
    this.frames = 0;
  },
  onAdd(map) {
    this._map = map;
    this.canvas = L.DomUtil.create("canvas", "device-layer");
    map.getPanes().overlayPane.appendChild(this.canvas);
    map.on("moveend zoomend resize viewreset", this._reset, this);
    map.on("zoomanim", () => { this.canvas.style.visibility = "hidden"; });
    map.on("zoomend", () => { this.canvas.style.visibility = ""; });
    map.on("click", this._click, this);
    this._reset();
    this.running = true;
    const loop = () => {
      if (!this.running) return;
      this._frame();
      this.raf = requestAnimationFrame(loop);
    };
    this.raf = requestAnimationFrame(loop);
  },
  onRemove(map) {
    this.stop();
    this.canvas.remove();
    map.off("moveend zoomend resize viewreset", this._reset, this);
  },
  stop() { this.running = false; cancelAnimationFrame(this.raf); },
  setGridCentres(fc) {
    for (const f of fc.features) {
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      let la = 0, lo = 0;
      for (const [x, y] of ring.slice(0, -1)) { la += y; lo += x; }
      this.gridCentres.set(f.properties.code, [la / (ring.length - 1), lo / (ring.length - 1)]);
    }
    this.dirty = true;
  },
  setDevices(list, staleAfterS, hubNowMs) {
    const offset = Date.now() - hubNowMs;
    const seen = new Set();
    list.forEach((d, i) => {
      seen.add(d.id);
      const item = this.items.get(d.id) || { id: d.id, tail: [], index: i };
      Object.assign(item, { kind: d.kind, state: d.state, unit: d.unit, owner_name: d.owner_name,
                            lastSeenMs: d.last_seen ? Date.parse(d.last_seen) + offset : null });
      item.staleAfterMs = staleAfterS * 1000;
      if (d.tail && d.tail.length) {
        item.tail = d.tail.map((p) => this.show(p[0], p[1]));
        item.to = item.tail[item.tail.length - 1];
        item.from = item.to;
        item.t0 = 0;
      }
      this.items.set(d.id, item);
    });
    for (const id of [...this.items.keys()]) if (!seen.has(id)) this.items.delete(id);
    this.dirty = true;
  },
  updatePositions(fixes) {
    const now = performance.now();
    for (const [id, lat, lon] of fixes) {
      const item = this.items.get(id);
      if (!item) continue; // not in scope / not listed yet
      const p = this.show(lat, lon);
      item.from = item.to ? this._current(item, now) : p;
      item.to = p;
      item.t0 = now;
      item.tail.push(p);
      if (item.tail.length > TAIL) item.tail.shift();
      item.lastSeenMs = Date.now();
    }
    this.dirty = true;
  },
  setPresence(d) {
    const item = this.items.get(d.id);
    if (!item) return false;
    item.state = d.state;
    if (d.last_seen) item.lastSeenMs = Date.parse(d.last_seen);
    this.dirty = true;
    return true;
  },
  _current(item, now) {
    const k = item.t0 ? Math.min(1, (now - item.t0) / ANIMATE_MS) : 1;
    return [item.from[0] + (item.to[0] - item.from[0]) * k, item.from[1] + (item.to[1] - item.from[1]) * k];
  },
  _where(item, now) {
    if (item.to) return this._current(item, now);
    const centre = this.gridCentres.get(item.unit);
    if (!centre) return null;
    const c = this.show(centre[0], centre[1]); // fixed terminals: around their grid's centre
    const a = (item.index || 0) * 2.4;
    return [c[0] + 0.0004 * Math.sin(a), c[1] + 0.0004 * Math.cos(a)];
  },
  _reset() {
    const map = this._map;
    const size = map.getSize();
    const topLeft = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(this.canvas, topLeft);
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = size.x * ratio;
    this.canvas.height = size.y * ratio;
    this.canvas.style.width = `${size.x}px`;
    this.canvas.style.height = `${size.y}px`;
    this.dirty = true;
  },
  _frame() {
    const now = performance.now();
    let animating = false;
    for (const item of this.items.values()) if (item.t0 && now - item.t0 < ANIMATE_MS) { animating = true; break; }
    if (!this.dirty && !animating) return;
    this.dirty = false;
    this.frames += 1;
    const map = this._map, ctx = this.canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const wallNow = Date.now();
    const groups = { online: [], offline: [], stale: [] };
    ctx.lineWidth = 2;
    ctx.strokeStyle = "rgba(0, 140, 90, 0.45)";
    ctx.beginPath();
    for (const item of this.items.values()) {
      const at = this._where(item, now);
      if (!at) continue;
      const pt = map.latLngToContainerPoint(at);
      item.px = pt;
      const stale = item.lastSeenMs !== null && wallNow - item.lastSeenMs > item.staleAfterMs;
      groups[item.state === "online" ? (stale ? "stale" : "online") : "offline"].push(item);
      if (item.tail.length > 1) {
        const first = map.latLngToContainerPoint(item.tail[0]);
        ctx.moveTo(first.x, first.y);
        for (let i = 1; i < item.tail.length - 1; i++) {
          const p = map.latLngToContainerPoint(item.tail[i]);
          ctx.lineTo(p.x, p.y);
        }
        ctx.lineTo(pt.x, pt.y);
      }
    }
    ctx.stroke();
    const styles = { online: "#0a9d5a", stale: "#e39b00", offline: "#8a94a6" };
    for (const [name, items] of Object.entries(groups)) {
      ctx.fillStyle = styles[name];
      ctx.beginPath();
      for (const item of items) {
        const { x, y } = item.px;
        if (item.to) { ctx.moveTo(x + 5, y); ctx.arc(x, y, 5, 0, Math.PI * 2); }
        else ctx.rect(x - 5, y - 5, 10, 10);
      }
      ctx.fill();
    }
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
    this.counts = { online: groups.online.length, offline: groups.offline.length, stale: groups.stale.length };
    this.canvas.dataset.online = groups.online.length;
    this.canvas.dataset.offline = groups.offline.length;
    this.canvas.dataset.stale = groups.stale.length;
  },
  _click(ev) {
    const p = ev.containerPoint;
    let best = null, bestD = 100;
    for (const item of this.items.values()) {
      if (!item.px) continue;
      const d = (item.px.x - p.x) ** 2 + (item.px.y - p.y) ** 2;
      if (d < bestD) { best = item; bestD = d; }
    }
    if (best) {
      const state = best.state === "online" ? t("map.online") : t("map.offline");
      const body = h("div", { class: "device-popup" }, h("b", {}, best.id),
                     best.owner_name ? ` · ${best.owner_name}` : "", h("br"), `${t("kind." + best.kind)} · ${state}`);
      L.popup().setLatLng(ev.latlng).setContent(body).openOn(this._map);
    }
  },
});
