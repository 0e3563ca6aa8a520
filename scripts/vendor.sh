#!/usr/bin/env bash
# Refresh the front-end files we commit from the exact versions pinned in package.json /
# package-lock.json. npm is needed only here: tests and the running portal use the copies,
# so neither CI nor a server ever talks to the npm registry or a CDN.
#
#   axe-core -> tests/browser/vendor/   (accessibility checks in the browser tests)
#   leaflet  -> static/vendor/leaflet/  (station maps)
#   jsqr     -> static/vendor/jsqr/     (QR decoder for the staff check-in camera)
#
# After running it, review `git diff --stat` and commit the copied files with package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# --ignore-scripts: no package here needs an install script, and we run none from the registry.
npm ci --ignore-scripts --no-audit --no-fund

axe_src=node_modules/axe-core
axe_dst=tests/browser/vendor
mkdir -p "$axe_dst"
cp "$axe_src/axe.min.js" "$axe_dst/axe.min.js"
cp "$axe_src/LICENSE" "$axe_dst/axe-core.LICENSE"
node -p '"axe-core " + require("./node_modules/axe-core/package.json").version' > "$axe_dst/VERSION"

leaflet_src=node_modules/leaflet
leaflet_dst=static/vendor/leaflet
rm -rf "$leaflet_dst"
mkdir -p "$leaflet_dst/images"
cp "$leaflet_src/dist/leaflet.js" "$leaflet_src/dist/leaflet.css" "$leaflet_dst/"
# leaflet.js ends with `//# sourceMappingURL=leaflet.js.map`; the production static storage
# (ManifestStaticFilesStorage) rewrites that reference and fails collectstatic if the map is missing.
cp "$leaflet_src/dist/leaflet.js.map" "$leaflet_dst/"
cp "$leaflet_src"/dist/images/* "$leaflet_dst/images/"
cp "$leaflet_src/LICENSE" "$leaflet_dst/LICENSE"
node -p '"leaflet " + require("./node_modules/leaflet/package.json").version' > "$leaflet_dst/VERSION"

# jsQR is a pure decoder (no camera code, no source map reference): static/events/checkin.js drives
# getUserMedia and a canvas and hands it the frames.
jsqr_src=node_modules/jsqr
jsqr_dst=static/vendor/jsqr
rm -rf "$jsqr_dst"
mkdir -p "$jsqr_dst"
cp "$jsqr_src/dist/jsQR.js" "$jsqr_dst/jsQR.js"
cp "$jsqr_src/LICENSE" "$jsqr_dst/LICENSE"
node -p '"jsqr " + require("./node_modules/jsqr/package.json").version' > "$jsqr_dst/VERSION"

echo "Vendored: $(cat "$axe_dst/VERSION"), $(cat "$leaflet_dst/VERSION"), $(cat "$jsqr_dst/VERSION")"
