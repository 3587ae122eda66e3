#!/bin/sh
# Re-vendor the dashboard's front-end libraries from npm at pinned versions (run by a developer, never at
# install time: control rooms are often on closed networks, so nothing is fetched from a CDN at run time).
# Each library keeps its licence file beside it.
#   sh hub/web/vendor/update.sh
set -eu
LEAFLET_VERSION=1.9.4
MARKERCLUSTER_VERSION=1.5.3  # Leaflet.markercluster: case pins clustered at low zoom (MIT)
SWAGGER_UI_VERSION=5.32.0  # the API's /docs page (Apache-2.0)
UPLOT_VERSION=1.6.32  # the statistics page's KPI trend charts (MIT)

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET_VERSION" >/dev/null
tar -xzf "leaflet-$LEAFLET_VERSION.tgz"
rm -rf "$here/leaflet"
mkdir -p "$here/leaflet/images"
cp package/dist/leaflet.js package/dist/leaflet.css package/LICENSE "$here/leaflet/"
cp package/dist/images/*.png "$here/leaflet/images/"
echo "$LEAFLET_VERSION" > "$here/leaflet/VERSION"
echo "vendored leaflet $LEAFLET_VERSION into $here/leaflet"

rm -rf package
npm pack --silent "leaflet.markercluster@$MARKERCLUSTER_VERSION" >/dev/null
tar -xzf "leaflet.markercluster-$MARKERCLUSTER_VERSION.tgz"
rm -rf "$here/markercluster"
mkdir -p "$here/markercluster"
# MarkerCluster.css only: the dashboard styles its cluster icons itself (map.css), not MarkerCluster.Default.css.
cp package/dist/leaflet.markercluster.js package/dist/MarkerCluster.css package/MIT-LICENCE.txt "$here/markercluster/"
chmod 644 "$here"/markercluster/*  # the package ships them executable
echo "$MARKERCLUSTER_VERSION" > "$here/markercluster/VERSION"
echo "vendored leaflet.markercluster $MARKERCLUSTER_VERSION into $here/markercluster"

rm -rf package
npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" >/dev/null
tar -xzf "swagger-ui-dist-$SWAGGER_UI_VERSION.tgz"
rm -rf "$here/swagger-ui"
mkdir -p "$here/swagger-ui"
cp package/swagger-ui-bundle.js package/swagger-ui.css package/favicon-32x32.png package/LICENSE package/NOTICE \
  "$here/swagger-ui/"
echo "$SWAGGER_UI_VERSION" > "$here/swagger-ui/VERSION"
echo "vendored swagger-ui-dist $SWAGGER_UI_VERSION into $here/swagger-ui"


rm -rf package
npm pack --silent "uplot@$UPLOT_VERSION" >/dev/null
tar -xzf "uplot-$UPLOT_VERSION.tgz"
rm -rf "$here/uplot"
mkdir -p "$here/uplot"
cp package/dist/uPlot.iife.min.js package/dist/uPlot.min.css package/LICENSE "$here/uplot/"
echo "$UPLOT_VERSION" > "$here/uplot/VERSION"
echo "vendored uplot $UPLOT_VERSION into $here/uplot"
