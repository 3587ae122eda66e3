// The base map under every map of the dashboard, from /api/map/config's ``basemap`` (hub/web/basemaps.py):
//   xyz       - any {z}/{x}/{y} tile URL (optional {s} subdomains), WGS-84 or GCJ-02 (Amap, Tencent) by ``crs``;
//   tianditu  - 天地图: a base layer and its label layer (vec+cva or img+cia), subdomains t0-t7, the deployment's key;
//   baidu     - BD-09 tiles on Baidu's own Mercator grid (origin 0,0, resolution 2^(18-z) m/px, rows counted up);
//   mbtiles   - the hub's own /tiles/{z}/{x}/{y} from an MBTiles file (offline control rooms);
//   none      - no tiles: grid outlines on a plain background.
// Everything the hub sends is WGS-84; ``displayTransform`` shifts it onto a GCJ-02 / BD-09 map, ``storeTransform``
// brings a position picked on such a map back.
import { displayTransform, storeTransform } from "./gcj02.js";

const L = window.L;

// Baidu's Mercator: an ellipsoidal Mercator on Clarke 1866 (the parameters Leaflet.ChineseTmsProviders and
// proj4 setups use), 2^(18-z) metres a pixel, origin at 0,0, tile rows counted northwards.
function baiduCrs() {
  const projection = L.extend({}, L.Projection.Mercator, {
    R: 6378206, R_MINOR: 6356584.314245179,
    bounds: L.bounds([-20037726.37, -12474104.17], [20037726.37, 12474104.17]),
  });
  return L.extend({}, L.CRS.Earth, {
    code: "BD09MC", projection, transformation: new L.Transformation(1, 0, -1, 0),
    scale: (zoom) => Math.pow(2, zoom - 18), zoom: (scale) => Math.log(scale) / Math.LN2 + 18, infinite: true,
  });
}

const BaiduTiles = L.TileLayer.extend({
  getTileUrl(coords) {
    return L.Util.template(this._url, L.extend({ s: this._getSubdomain(coords), x: coords.x, y: -coords.y - 1,
                                                  z: this._getZoomForUrl() }, this.options));
  },
});

/** The base map as the hub describes it (older hubs: tile_url / tile_crs only). */
export function basemapOf(config) {
  if (config?.basemap) return config.basemap;
  const url = config?.tile_url || "";
  return { kind: url ? "xyz" : "none", crs: url ? config.tile_crs || "wgs84" : "wgs84",
           layers: url ? [{ url, subdomains: "abc", attribution: config.attribution || "", max_zoom: 19 }] : [] };
}

/** Options for L.map: Baidu tiles need their own CRS. */
export function mapOptions(config) {
  return basemapOf(config).kind === "baidu" ? { crs: baiduCrs() } : {};
}

/** Put the base layers on ``map``; returns {tiles, show, store}: whether there are tiles, WGS-84 → map datum, back. */
export function addBasemap(map, config) {
  const base = basemapOf(config);
  const make = base.kind === "baidu" ? (url, o) => new BaiduTiles(url, o) : (url, o) => L.tileLayer(url, o);
  for (const layer of base.layers || []) {
    make(layer.url, { attribution: layer.attribution || "", subdomains: layer.subdomains || "abc",
                      maxZoom: 19, maxNativeZoom: layer.max_zoom || 18, tms: !!layer.tms }).addTo(map);
  }
  const crs = base.layers?.length ? base.crs : "wgs84";
  return { tiles: !!base.layers?.length, kind: base.kind, show: displayTransform(crs), store: storeTransform(crs) };
}
