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

// The display transform for the configured base map: identity for WGS-84 maps (and no map at all).
export function displayTransform(crs) {
  return crs === "gcj02" ? wgs84ToGcj02 : (lat, lon) => [lat, lon];
}
