#!/bin/sh
# Re-vendor the dashboard's front-end libraries from npm at pinned versions (run by a developer, never at
# install time: control rooms are often on closed networks, so nothing is fetched from a CDN at run time).
#   sh hub/web/vendor/update.sh
set -eu
LEAFLET_VERSION=1.9.4

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
