#!/bin/sh
# Re-vendor the dashboard's front-end libraries from npm at pinned versions (run by a developer, never at
# install time: control rooms are often on closed networks, so nothing is fetched from a CDN at run time).
# Each library keeps its licence file beside it.
#   sh hub/web/vendor/update.sh
set -eu
LEAFLET_VERSION=1.9.4
MARKERCLUSTER_VERSION=1.5.3  # Leaflet.markercluster: case pins clustered at low zoom (MIT)

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
echo "$MARKERCLUSTER_VERSION" > "$here/markercluster/VERSION"
echo "vendored leaflet.markercluster $MARKERCLUSTER_VERSION into $here/markercluster"
