/* Map preview on the station change form: a marker at the latitude/longitude fields.
 *
 * Degrades quietly: without Leaflet, without tiles or without coordinates the page
 * keeps working and a note says what is missing. No drag-to-move on purpose: the
 * default tiles are GCJ-02 while the fields hold WGS-84, so a position picked on
 * the map would be stored a few hundred metres off.
 */
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function parseCoordinate(text, limit) {
    if (text === null || text === undefined) return null;
    var cleaned = String(text).trim().replace(",", ".");
    if (cleaned === "") return null;
    if (!/^[-+]?\d+(\.\d+)?$/.test(cleaned)) return NaN;
    var value = parseFloat(cleaned);
    return Math.abs(value) <= limit ? value : NaN;
  }

  function start() {
    var container = document.getElementById("station-map");
    var note = document.getElementById("station-map-note");
    var config = readJSON("station-map-config");
    if (!container || !config) return;
    var messages = config.messages || {};

    function say(text) {
      if (note) note.textContent = text || "";
    }

    if (typeof window.L === "undefined" || !window.L.map) {
      container.style.display = "none";
      say(messages.mapFailed || "");
      return;
    }
    var L = window.L;

    var latInput = document.getElementById("id_latitude");
    var lngInput = document.getElementById("id_longitude");
    var savedLat = readJSON("station-map-saved-lat");
    var savedLng = readJSON("station-map-saved-lng");

    function current() {
      // Editable fields win; a view-only page has no inputs, so fall back to the saved values.
      var lat = latInput ? parseCoordinate(latInput.value, 90) : parseCoordinate(savedLat, 90);
      var lng = lngInput ? parseCoordinate(lngInput.value, 180) : parseCoordinate(savedLng, 180);
      return { lat: lat, lng: lng };
    }

    var map;
    try {
      map = L.map(container, { scrollWheelZoom: false, attributionControl: true });
    } catch (e) {
      container.style.display = "none";
      say(messages.mapFailed || "");
      return;
    }
    var center = Array.isArray(config.center) && config.center.length === 2 ? config.center : [31.2304, 121.4737];
    map.setView(center, 11);

    var tilesFailed = false;
    if (config.tileUrl) {
      var layer = L.tileLayer(config.tileUrl, {
        subdomains: config.subdomains && config.subdomains.length ? config.subdomains : "abc",
        attribution: config.attribution || "",
        maxZoom: 18,
      });
      layer.on("tileerror", function () {
        if (!tilesFailed) {
          tilesFailed = true;
          show();
        }
      });
      layer.addTo(map);
    }

    // A vector marker: it needs no image files, so nothing can fail to load.
    var marker = L.circleMarker(center, { radius: 9, weight: 3, color: "#c0392b", fillColor: "#e74c3c", fillOpacity: 0.6 });

    function show() {
      var point = current();
      var notes = [];
      if (point.lat === null || point.lng === null) {
        if (map.hasLayer(marker)) map.removeLayer(marker);
        notes.push(messages.noLocation || "");
      } else if (isNaN(point.lat) || isNaN(point.lng)) {
        if (map.hasLayer(marker)) map.removeLayer(marker);
        notes.push(messages.outOfRange || "");
      } else {
        marker.setLatLng([point.lat, point.lng]);
        if (!map.hasLayer(marker)) marker.addTo(map);
        map.setView([point.lat, point.lng], Math.max(map.getZoom(), 16));
      }
      if (tilesFailed) notes.push(messages.tilesFailed || "");
      say(notes.join(" "));
    }

    [latInput, lngInput].forEach(function (input) {
      if (!input) return;
      input.addEventListener("input", show);
      input.addEventListener("change", show);
    });
    show();
    // The container may have been laid out after Leaflet measured it (collapsed fieldsets, fonts).
    window.setTimeout(function () {
      map.invalidateSize();
    }, 200);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
