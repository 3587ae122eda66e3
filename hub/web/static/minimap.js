// A small Leaflet map for the casework pages (triage, new case): grid outlines, one report's position with its
// accuracy circle, and a click that picks a position. Positions are WGS-84 everywhere; a GCJ-02 base map only
// shifts the drawing (gcj02.js), so a click is shifted back before it is used.
import { addBasemap, basemapOf, mapOptions } from "./basemap.js";
import { h } from "./dom.js";

const L = window.L;

// The inverse of a display transform by fixed-point iteration (the GCJ-02 shift is smooth and < 1 km: three
// rounds reach centimetres).
function inverse(show) {
  return (lat, lon) => {
    let wl = lat, wo = lon;
    for (let i = 0; i < 4; i++) {
      const [sl, so] = show(wl, wo);
      wl += lat - sl;
      wo += lon - so;
    }
    return [wl, wo];
  };
}

/** Is [lon, lat] inside a GeoJSON Polygon / MultiPolygon (ray casting over every ring)? */
export function contains(geometry, lon, lat) {
  if (!geometry) return false;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  return polygons.some((rings) => {
    let inside = false;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i], [xj, yj] = ring[j];
        if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    return inside;
  });
}

export function createMiniMap(el, config, { onClick } = {}) {
  const map = L.map(el, { zoomControl: true, attributionControl: basemapOf(config).layers.length > 0, zoomSnap: 0.25,
                          zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false, ...mapOptions(config) });
  const base = addBasemap(map, config); // the same base map as the big map (basemap.js)
  const show = base.show;
  const unshow = inverse(show);
  if (!base.tiles) el.classList.add("no-tiles");
  map.setView([22.25, 113.52], 15);
  const gridLayer = L.layerGroup().addTo(map);
  const pointLayer = L.layerGroup().addTo(map);
  const byCode = new Map(); // grid code -> its layer
  if (onClick) {
    el.classList.add("pickable");
    map.on("click", (ev) => { const [lat, lon] = unshow(ev.latlng.lat, ev.latlng.lng); onClick(lat, lon); });
  }
  return {
    map,
    /** grids: [{code, name, geometry, share?}]; ``chosen`` drawn strong; ``candidates`` (codes) emphasised. */
    setGrids(grids, { chosen = null, candidates = new Set(), onGridClick = null, labels = true, labelAll = false } = {}) {
      gridLayer.clearLayers();
      byCode.clear();
      for (const g of grids) {
        if (!g.geometry) continue;
        const isChosen = g.code === chosen, isCandidate = candidates.has(g.code);
        const layer = L.geoJSON(g.geometry, {
          coordsToLatLng: (c) => L.latLng(...show(c[1], c[0])),
          style: { color: isChosen ? "#1f6fe0" : isCandidate ? "#e39b00" : "#5c6b82",
                   weight: isChosen ? 3.5 : isCandidate ? 2.5 : 1.2, dashArray: isCandidate && !isChosen ? "6 4" : null,
                   fillColor: isChosen ? "#1f6fe0" : isCandidate ? "#f0b400" : "#6b7a8f",
                   fillOpacity: isChosen ? 0.22 : isCandidate ? 0.14 : 0.04,
                   className: `grid-shape grid-${g.code}${isChosen ? " chosen" : ""}${isCandidate ? " candidate" : ""}` },
        });
        if (labels && (isChosen || isCandidate || labelAll)) {
          // the name up to its parenthesis (福石二网格（前山河畔） → 福石二网格): neighbouring grids' labels must fit
          const short = (g.name || g.code).split(/[（(]/)[0] || g.name || g.code;
          const text = g.share != null ? `${short} · ${Math.round(g.share * 100)}%` : short;
          layer.bindTooltip(h("span", { translate: "no", class: "data" }, text), { permanent: true, direction: "center", className: "grid-label" });
        } else if (labels) {
          layer.bindTooltip(h("span", { translate: "no", class: "data" }, g.name || g.code), { sticky: true });
        }
        if (onGridClick) layer.on("click", (ev) => { L.DomEvent.stopPropagation(ev); onGridClick(g.code); });
        layer.addTo(gridLayer);
        byCode.set(g.code, layer);
      }
    },
    /** The report's position with its accuracy circle (metres); null clears. */
    setPoint(lat, lon, accuracy = null) {
      pointLayer.clearLayers();
      if (lat == null || lon == null) return;
      const at = show(lat, lon);
      if (accuracy) L.circle(at, { radius: accuracy, color: "#e0262b", weight: 1.5, fillOpacity: 0.12, className: "accuracy" }).addTo(pointLayer);
      L.circleMarker(at, { radius: 7, color: "#fff", weight: 2, fillColor: "#e0262b", fillOpacity: 1, className: "report-point" }).addTo(pointLayer);
    },
    /** Fit the given grids (default: every grid) and points [[lat, lon]]. */
    fit(extra = [], codes = null) {
      const layers = (codes ? codes.map((c) => byCode.get(c)) : [...byCode.values()]).filter(Boolean);
      let b = layers.length ? L.featureGroup(layers).getBounds() : null;
      for (const [lat, lon] of extra) {
        if (lat == null) continue;
        const p = L.latLng(...show(lat, lon));
        b = b ? b.extend(p) : L.latLngBounds(p, p);
      }
      if (b) map.fitBounds(b.pad(0.15), { maxZoom: 18 });
    },
    invalidate() { map.invalidateSize(); },
    destroy() { map.remove(); },
  };
}
