// The Leaflet map: grid polygons coloured by the cases that still need work, case pins (clustered at low zoom),
// and terminals on one canvas layer (2,000 moving dots with tails cost one draw per frame, not 2,000 DOM objects).
//
// Layer order is fixed by panes, whatever is redrawn when: grid fills (bottom, their own SVG) < grid labels <
// terminal tails and dots (canvas) < case pins and clusters (markerPane) < tooltips < popups. Grids are restyled
// in place when their load changes, never re-added over the pins. Pins are opaque with a white rim and a dark
// outline, so a blue pin over a red grid stays blue.
//
// A case is in one of three phases: open (still needs work: a filled pin in its level's colour, a dark ring when
// overdue), suspended (grey, ‖) and awaiting check (resolved / verified: white with a teal ✓). Only open cases
// colour a grid; the other two are counted apart. Closed and not-filed cases are not on the map.
import { addBasemap, basemapOf, mapOptions } from "./basemap.js";
import { h, LEVEL_COLOURS } from "./dom.js";
import { caseName, dataText, phaseOf, photoSet } from "./feed.js";
import { ago, duration, t, timeOf } from "./i18n.js";

const L = window.L;
const ANIMATE_MS = 800; // a fix glides from the previous one rather than jumping
const TAIL = 8;
const GLIDE_FRAME_MS = 33;
const GLIDE_MAX_MOVERS = 300;
const LEVEL_RANK = { blue: 1, yellow: 2, red: 3 };
const RANKED = [null, "blue", "yellow", "red"];
const PANES = { grids: 350, gridLabels: 380, devices: 450 }; // Leaflet's own: markerPane 600, tooltip 650, popup 700
const LABEL_MIN_ZOOM = 14; // grid labels below this would be clutter (a whole district on screen)
const PIN_GLYPH = { open: "", overdue: "!", suspended: "‖", check: "✓" };

export function createMap(el, config, { onCaseClick, fitPadding } = {}) {
  // No zoom/fade animations: nothing to gain on a wall screen, and a page left mid-animation breaks Leaflet.
  const map = L.map(el, { zoomControl: true, attributionControl: basemapOf(config).layers.length > 0, zoomSnap: 0.25,
                          maxZoom: 19, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false,
                          ...mapOptions(config) });
  for (const [name, z] of Object.entries(PANES)) map.createPane(name).style.zIndex = z;
  map.getPane("gridLabels").style.pointerEvents = "none";
  map.getPane("devices").style.pointerEvents = "none";
  const base = addBasemap(map, config); // 天地图, GCJ-02 / BD-09 tiles, the hub's MBTiles, or none (basemap.js)
  const show = base.show;
  if (!base.tiles) el.classList.add("no-tiles");
  map.setView([22.25, 113.52], 15);
  const zoomClass = () => el.classList.toggle("labels-hidden", map.getZoom() < LABEL_MIN_ZOOM);
  map.on("zoomend", () => { zoomClass(); fitLabels(); });
  zoomClass();

  const grids = L.geoJSON(null, {
    pane: "grids", renderer: L.svg({ pane: "grids" }),
    coordsToLatLng: (c) => L.latLng(...show(c[1], c[0])),
    style: (f) => gridStyle(f.properties),
    onEachFeature: (f, layer) => layer.bindTooltip(() => gridTooltip(layer.feature.properties),
                                                   { sticky: true, className: "grid-tooltip" }),
  }).addTo(map);
  const labels = L.layerGroup().addTo(map);
  const devices = new DeviceLayer(show).addTo(map);
  const pins = L.markerClusterGroup ? L.markerClusterGroup({
    showCoverageOnHover: false, spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true, animate: false,
    chunkedLoading: true, removeOutsideVisibleBounds: true,
    maxClusterRadius: (zoom) => (zoom >= 18 ? 24 : zoom >= 16 ? 40 : 56),
    iconCreateFunction: clusterIcon,
  }) : L.layerGroup(); // without the vendored plugin: plain pins, still above everything else
  pins.addTo(map);
  const markers = new Map(); // case id -> {marker, sig}
  let gridKey = "", fitted = false, destroyed = false;

  // A label wider than its grid shows its counts only (the name is in the grid's tooltip), or nothing at all.
  // All widths are read before any class is written (one layout, not one per label).
  function fitLabels() {
    if (map.getZoom() < LABEL_MIN_ZOOM) return;
    const items = [];
    labels.eachLayer((m) => {
      const box = m.getElement()?.firstElementChild;
      if (!box) return;
      const b = m.gridBounds, lat = b.getCenter().lat;
      const room = map.latLngToContainerPoint([lat, b.getEast()]).x - map.latLngToContainerPoint([lat, b.getWest()]).x;
      items.push({ box, room: room - 8 });
    });
    for (const it of items) it.box.classList.remove("tight", "none");
    for (const it of items) it.full = it.box.offsetWidth;
    const tight = items.filter((it) => it.full > it.room);
    for (const it of tight) it.box.classList.add("tight");
    for (const it of tight) it.narrow = it.box.offsetWidth;
    for (const it of tight) if (it.narrow > it.room) it.box.classList.add("none");
  }

  function caseMarker(c) {
    const marker = L.marker(show(c.lat, c.lon), { icon: pinIcon(c), keyboard: false, riseOnHover: true,
                                                 title: c.reference || "" });
    marker.options.pin = pinFacts(c);
    marker.case = c;
    marker.bindTooltip(() => pinTooltip(marker.case), { direction: "top", offset: [0, -10], className: "pin-tooltip" });
    marker.bindPopup(() => casePopup(marker.case, onCaseClick),
                     { minWidth: 260, maxWidth: 380, className: "case-popup-wrap", autoPanPadding: [40, 40] });
    return marker;
  }

  return {
    map, devices, show,
    pins,
    markerFor: (id) => markers.get(id)?.marker || null,
    setGrids(fc) {
      if (destroyed) return; // a fetch that finished after the page was left
      const key = fc.features.map((f) => f.properties.code).join("|");
      if (key === gridKey) {
        // The same grids: new load, restyled in place (the pins above stay above).
        const byCode = new Map(fc.features.map((f) => [f.properties.code, f.properties]));
        grids.eachLayer((layer) => {
          const p = byCode.get(layer.feature.properties.code);
          if (!p) return;
          layer.feature.properties = p;
          layer.setStyle(gridStyle(p));
        });
      } else {
        gridKey = key;
        grids.clearLayers();
        grids.addData(fc);
        devices.setGridCentres(fc);
      }
      labels.clearLayers();
      grids.eachLayer((layer) => {
        const p = layer.feature.properties;
        const label = L.marker(labelPoint(layer), { icon: gridLabelIcon(p), pane: "gridLabels", interactive: false,
                                                    keyboard: false });
        label.gridBounds = layer.getBounds();
        label.addTo(labels);
      });
      if (!fitted && fc.features.length) {
        // clear of what floats over the map (the page says how much: the summary above, the legend below)
        const pad = fitPadding ? fitPadding() : { topLeft: [20, 20], bottomRight: [20, 20] };
        map.fitBounds(grids.getBounds(), { paddingTopLeft: pad.topLeft, paddingBottomRight: pad.bottomRight });
        fitted = true;
      }
      fitLabels();
    },
    setCases(list) {
      if (destroyed) return;
      const wanted = new Set();
      const add = [], drop = [];
      for (const c of list) {
        if (c.lat == null || c.lon == null) continue;
        wanted.add(c.id);
        const sig = [c.state, c.level, c.overdue, c.lat, c.lon, c.version, c.reference].join("|");
        const had = markers.get(c.id);
        if (had && had.sig === sig) { had.marker.case = c; continue; }
        if (had) drop.push(had.marker);
        const marker = caseMarker(c);
        markers.set(c.id, { marker, sig });
        add.push(marker);
      }
      for (const [id, { marker }] of markers) if (!wanted.has(id)) { drop.push(marker); markers.delete(id); }
      if (drop.length) pins.removeLayers ? pins.removeLayers(drop) : drop.forEach((m) => pins.removeLayer(m));
      if (add.length) pins.addLayers ? pins.addLayers(add) : add.forEach((m) => pins.addLayer(m));
    },
    setDevices(list, staleAfterS, hubNowMs) { if (!destroyed) devices.setDevices(list, staleAfterS, hubNowMs); },
    destroy() { destroyed = true; devices.stop(); map.remove(); },
  };
}

// -- grids --------------------------------------------------------------------------------------------------
function gridStyle(p) {
  const open = p.open || 0;
  const load = Math.min(1, open / 5);
  if (open) {
    return { color: "#33415c", weight: 1.5, dashArray: null, fillColor: LEVEL_COLOURS[p.max_level] || "#6b7a8f",
             fillOpacity: 0.12 + 0.26 * load };
  }
  // Nothing to do here: a quiet fill. Work waiting only for its check: a dashed teal edge, no colour.
  return { color: p.awaiting_check ? "#0e7c86" : "#33415c", weight: p.awaiting_check ? 2 : 1.5,
           dashArray: p.awaiting_check ? "6 4" : null, fillColor: "#6b7a8f", fillOpacity: 0.05 };
}

function gridCounts(p) {
  const parts = [];
  parts.push(h("span", { class: `count open${p.open ? "" : " zero"}` }, t("map.needsWork", { n: p.open || 0 })));
  if (p.overdue) parts.push(h("span", { class: "count overdue" }, t("map.overdueN", { n: p.overdue })));
  if (p.suspended) parts.push(h("span", { class: "count suspended" }, t("map.suspendedN", { n: p.suspended })));
  if (p.awaiting_check) parts.push(h("span", { class: "count check" }, t("map.checkN", { n: p.awaiting_check })));
  return parts;
}

function gridTooltip(p) {
  return h("div", { class: "grid-tip" },
    h("b", {}, dataText(p.name || p.code, { title: p.code })),
    p.parent_name ? h("span", { class: "muted" }, " · ", dataText(p.parent_name)) : null,
    h("div", { class: "counts" }, gridCounts(p)));
}

function gridLabelIcon(p) {
  const el = h("div", { class: `mv-grid-label${p.open ? ` level-${p.max_level}` : ""}` },
    h("div", { class: "name" }, dataText(p.name || p.code)), h("div", { class: "counts" }, gridCounts(p)));
  return L.divIcon({ html: el, className: "mv-label-anchor", iconSize: null });
}

// The label sits in the upper part of the grid: the centre is where its fixed terminals are drawn.
function labelPoint(layer) {
  const b = layer.getBounds();
  return L.latLng(b.getNorth() - (b.getNorth() - b.getSouth()) * 0.18, (b.getWest() + b.getEast()) / 2);
}

// -- case pins ---------------------------------------------------------------------------------------------
function pinFacts(c) {
  return { phase: c.phase || phaseOf(c.state), level: c.level, overdue: !!c.overdue };
}

function pinIcon(c) {
  const f = pinFacts(c);
  const glyph = f.phase === "open" ? (f.overdue ? PIN_GLYPH.overdue : "") : PIN_GLYPH[f.phase];
  const el = h("div", { class: "pin-body" }, glyph);
  return L.divIcon({
    html: el, iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10], tooltipAnchor: [0, -6],
    className: `case-pin phase-${f.phase} level-${c.level}${f.overdue ? " overdue" : ""} case-${c.id}`,
  });
}

function clusterIcon(cluster) {
  let worst = 0, open = 0, overdue = 0, check = 0, suspended = 0;
  for (const m of cluster.getAllChildMarkers()) {
    const f = m.options.pin || {};
    if (f.phase === "open") {
      open += 1;
      worst = Math.max(worst, LEVEL_RANK[f.level] || 0);
      if (f.overdue) overdue += 1;
    } else if (f.phase === "check") check += 1;
    else suspended += 1;
  }
  const n = cluster.getChildCount();
  const size = n < 10 ? 32 : n < 100 ? 38 : 46;
  const kind = open ? `level-${RANKED[worst] || "blue"}` : check ? "phase-check" : "phase-suspended";
  const el = h("div", { class: "cluster-body", dataset: { open, check, suspended } },
    h("span", { class: "n" }, n), overdue ? h("i", { class: "cluster-overdue" }) : null);
  return L.divIcon({ html: el, className: `case-cluster ${kind}`, iconSize: [size, size] });
}

function pinTooltip(c) {
  return h("div", { class: "pin-tip" },
    c.reference ? h("b", { translate: "no" }, c.reference, " ") : null, caseName(c),
    h("span", { class: "muted" }, " · ", t(`state.${c.state}`)));
}

function remainingText(c) {
  if (c.remaining_s == null) return c.deadline ? timeOf(c.deadline) : null;
  return c.remaining_s < 0 ? `${t("case.overdue")} ${duration(-c.remaining_s)}`
    : t("later", { t: duration(c.remaining_s) });
}

function casePopup(c, onCaseClick) {
  const phase = c.phase || phaseOf(c.state);
  const facts = [];
  const fact = (label, ...value) => facts.push(h("dt", {}, label), h("dd", {}, ...value));
  fact(t("case.state"), h("span", { class: `phase-badge phase-${phase}` }, t(`state.${c.state}`)),
       " ", h("span", { class: `level-chip level-${c.level}` }, t(`level.${c.level}`)));
  if (c.grid_name || c.grid_code || c.community_name) {
    fact(t("case.grid"), dataText(c.grid_name || c.grid_code || "", { title: c.grid_code || "" }),
         c.community_name ? h("span", { class: "muted" }, " · ", dataText(c.community_name)) : null);
  }
  const who = c.assignee_name || (typeof c.assignee === "object" ? c.assignee?.name : null);
  if (who) fact(t("case.holder"), dataText(who));
  const left = remainingText(c);
  if (left) fact(t("case.deadline"), h("span", { class: c.overdue ? "overdue" : "" }, left));
  if ((c.report_count || 1) > 1) fact(t("case.reports"), String(c.report_count));
  if (c.created_at) fact(t("map.reportedAt"), ago(c.created_at));
  const photos = [photoSet("before", c.photos_before, { max: 3, width: 96, height: 72 }),
                  photoSet("after", c.photos_after, { max: 3, width: 96, height: 72 })].filter(Boolean);
  return h("div", { class: `case-popup phase-${phase}`, "data-testid": "case-popup", dataset: { case: c.id } },
    h("div", { class: "cp-head" },
      h("span", { class: `pin-swatch phase-${phase} level-${c.level}` }),
      c.reference ? h("b", { class: "cp-ref", translate: "no" }, c.reference) : null),
    h("div", { class: "cp-title" }, caseName(c)),
    c.note ? h("p", { class: "cp-note" }, dataText(c.note)) : null,
    h("dl", { class: "cp-facts" }, facts),
    photos.length ? h("div", { class: "cp-photos" }, photos) : null,
    onCaseClick ? h("button", { type: "button", class: "primary cp-open", "data-testid": "open-case",
                                onclick: () => onCaseClick(c.id) }, t("map.openCase")) : null);
}

// -- terminals ---------------------------------------------------------------------------------------------
// Dots (online green / offline grey / stale amber), tails for those that move, squares for fixed terminals
// placed at their grid. Drawn on a canvas in its own pane (above the grids, below the pins); animated with rAF.
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
    map.getPane("devices").appendChild(this.canvas);
    map.on("moveend zoomend resize viewreset", this._reset, this);
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
    map.off("click", this._click, this);
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
      Object.assign(item, { kind: d.kind, state: d.state, unit: d.unit, unit_name: d.unit_name,
                            owner_name: d.owner_name,
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
    // Gliding redraws the whole canvas ~30 times a second; with hundreds of moving devices that raster work
    // (no GPU on many control-room PCs) starves the page and the hub beside it, so they jump instead.
    let movers = 0;
    for (const item of this.items.values()) if (item.to) movers += 1;
    const glide = movers <= GLIDE_MAX_MOVERS;
    for (const [id, lat, lon] of fixes) {
      const item = this.items.get(id);
      if (!item) continue; // not in scope / not listed yet
      const p = this.show(lat, lon);
      item.from = item.to && glide ? this._current(item, now) : p;
      item.to = p;
      item.t0 = glide ? now : 0;
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
  _whereProjected(item, now, px) { // _where in absolute pixels at the frame's zoom (from the cached projections)
    if (!item.to) {
      const at = this._where(item, now);
      return at ? px(at) : null;
    }
    const a = px(item.from), b = px(item.to);
    const k = item.t0 ? Math.min(1, (now - item.t0) / ANIMATE_MS) : 1;
    return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k };
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
    // A glide needs no more than ~30 frames a second; the CPU saved is the hub's on a shared control-room PC.
    if (!this.dirty && now - (this.drawnAt || 0) < GLIDE_FRAME_MS) return;
    this.dirty = false;
    this.drawnAt = now;
    this.frames += 1;
    const map = this._map, ctx = this.canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    // Each fix is projected once per zoom level (cached on its [lat, lon] array); a frame only shifts the
    // cached pixels by the map's origin: 2,000 devices with 8-point tails are 18,000 projections otherwise.
    const zoom = map.getZoom(), origin = map.getPixelOrigin(), pane = map._getMapPanePos();
    const dx = pane.x - origin.x, dy = pane.y - origin.y;
    const px = (p) => {
      if (p.z !== zoom) { const q = map.project(p, zoom); p.x = q.x; p.y = q.y; p.z = zoom; }
      return p;
    };
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const wallNow = Date.now();
    const groups = { online: [], offline: [], stale: [] };
    ctx.lineWidth = 2;
    ctx.strokeStyle = "rgba(0, 120, 80, 0.5)";
    ctx.beginPath();
    for (const item of this.items.values()) {
      const at = this._whereProjected(item, now, px);
      if (!at) continue;
      const pt = { x: at.x + dx, y: at.y + dy };
      item.px = pt;
      const stale = item.lastSeenMs !== null && wallNow - item.lastSeenMs > item.staleAfterMs;
      groups[item.state === "online" ? (stale ? "stale" : "online") : "offline"].push(item);
      if (item.tail.length > 1) {
        const first = px(item.tail[0]);
        ctx.moveTo(first.x + dx, first.y + dy);
        for (let i = 1; i < item.tail.length - 1; i++) {
          const p = px(item.tail[i]);
          ctx.lineTo(p.x + dx, p.y + dy);
        }
        ctx.lineTo(pt.x, pt.y);
      }
    }
    ctx.stroke();
    const styles = { online: "#0a9d5a", stale: "#e39b00", offline: "#8a94a6" };
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#fff";
    for (const [name, items] of Object.entries(groups)) {
      ctx.fillStyle = styles[name];
      ctx.beginPath();
      for (const item of items) {
        const { x, y } = item.px;
        if (item.to) { ctx.moveTo(x + 5, y); ctx.arc(x, y, 5, 0, Math.PI * 2); }
        else ctx.rect(x - 5, y - 5, 10, 10);
      }
      ctx.fill();
      ctx.stroke(); // a white rim per group: a dot stays readable on any fill
    }
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
      const stale = best.lastSeenMs !== null && Date.now() - best.lastSeenMs > best.staleAfterMs;
      const state = best.state === "online" ? (stale ? t("dev.stale") : t("map.online"))
        : best.state === "revoked" ? t("dev.revoked") : t("map.offline");
      const body = h("div", { class: "device-popup", "data-testid": "device-popup" },
        h("b", {}, best.owner_name ? dataText(best.owner_name)
          : (best.kind ? t(`kind.${best.kind}`) : t("map.terminal"))),
        best.owner_name && best.kind ? h("span", { class: "muted" }, ` · ${t(`kind.${best.kind}`)}`) : null,
        h("br"), h("span", { class: `badge ${best.state}` }, state),
        best.unit_name ? [" · ", dataText(best.unit_name, { title: best.unit || "" })] : null,
        h("br"), h("span", { class: "muted" },
          `${t("dev.lastSeen")}: ${best.lastSeenMs ? ago(new Date(best.lastSeenMs).toISOString()) : "—"}`),
        h("br"), h("code", { class: "muted", translate: "no" }, best.id));
      L.popup().setLatLng(ev.latlng).setContent(body).openOn(this._map);
    }
  },
});
