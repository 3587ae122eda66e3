// WGS-84 → GCJ-02 for display on Chinese base maps; the same formulas as hub/web/gcj02.py (tested against
// the same reference values). Positions are stored and sent in WGS-84; only the drawing is shifted.
const A = 6378245.0;
const EE = 0.00669342162296594323;

export function outOfChina(lat, lon) {
  return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
}

function transform(x, y) {
  const xy = x * y, sx = Math.sqrt(Math.abs(x)), xp = x * Math.PI, yp = y * Math.PI;
  const d = 20.0 * Math.sin(6.0 * xp) + 20.0 * Math.sin(2.0 * xp);
  let lat = d + 20.0 * Math.sin(yp) + 40.0 * Math.sin(yp / 3.0) + 160.0 * Math.sin(yp / 12.0) + 320 * Math.sin(yp / 30.0);
  let lon = d + 20.0 * Math.sin(xp) + 40.0 * Math.sin(xp / 3.0) + 150.0 * Math.sin(xp / 12.0) + 300.0 * Math.sin(xp / 30.0);
  lat = lat * 2.0 / 3.0 - 100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * sx;
  lon = lon * 2.0 / 3.0 + 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * sx;
  return [lat, lon];
}

export function wgs84ToGcj02(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  let [dlat, dlon] = transform(lon - 105.0, lat - 35.0);
  const rad = lat / 180.0 * Math.PI;
  const magic = 1 - EE * Math.sin(rad) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  dlat = dlat * 180.0 / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
  dlon = dlon * 180.0 / (A / sqrtMagic * Math.cos(rad) * Math.PI);
  return [lat + dlat, lon + dlon];
}

// Back from a GCJ-02 map to WGS-84 (a vertex dragged on a Chinese base map): fixed-point iteration, as in Python.
export function gcj02ToWgs84(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  let wlat = lat, wlon = lon;
  for (let i = 0; i < 30; i++) {
    const [glat, glon] = wgs84ToGcj02(wlat, wlon);
    const dlat = glat - lat, dlon = glon - lon;
    wlat -= dlat; wlon -= dlon;
    if (Math.max(Math.abs(dlat), Math.abs(dlon)) < 1e-9) break;
  }
  return [wlat, wlon];
}

// BD-09: Baidu's further offset of GCJ-02 (hub/org/datums.py has the same).
const X_PI = Math.PI * 3000.0 / 180.0;
export function gcj02ToBd09(lat, lon) {
  const z = Math.hypot(lon, lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
}
export function bd09ToGcj02(lat, lon) {
  const x = lon - 0.0065, y = lat - 0.006;
  const z = Math.hypot(x, y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return [z * Math.sin(theta), z * Math.cos(theta)];
}
export const wgs84ToBd09 = (lat, lon) => gcj02ToBd09(...wgs84ToGcj02(lat, lon));
export const bd09ToWgs84 = (lat, lon) => gcj02ToWgs84(...bd09ToGcj02(lat, lon));

// The display transform for the configured base map: identity for WGS-84 maps (and no map at all).
export function displayTransform(crs) {
  if (crs === "gcj02") return wgs84ToGcj02;
  if (crs === "bd09") return wgs84ToBd09;
  return (lat, lon) => [lat, lon];
}

// Its inverse: a position picked on the map back to WGS-84, the only datum the hub stores.
export function storeTransform(crs) {
  if (crs === "gcj02") return gcj02ToWgs84;
  if (crs === "bd09") return bd09ToWgs84;
  return (lat, lon) => [lat, lon];
}
