/*
 * Station pages: "use my location" and the Leaflet maps.
 *
 * Everything here is an extra: the list, the filters and the place picker work without it.
 * Texts come translated from the page's data-* attributes; nothing is written with innerHTML
 * except the tile attribution, which comes from the site's own settings.
 */
(function () {
  "use strict";

  var SHANGHAI = [31.2304, 121.4737];

  // --- WGS-84 to GCJ-02 ----------------------------------------------------------------------
  // Stations are stored in WGS-84, as phones report positions. Chinese map tiles (AutoNavi, Tencent)
  // are drawn in GCJ-02, the mainland's obfuscated datum, which is shifted by a few hundred metres;
  // a marker goes where the tiles expect it only after the same shift. The widely published formula.

  var GCJ_A = 6378245.0;
  var GCJ_EE = 0.00669342162296594323;

  function outOfChina(lat, lng) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function shiftLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    return r;
  }

  function shiftLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    return r;
  }

  function wgs84ToGcj02(lat, lng) {
    if (outOfChina(lat, lng)) {
      return [lat, lng];
    }
    var dLat = shiftLat(lng - 105.0, lat - 35.0);
    var dLng = shiftLng(lng - 105.0, lat - 35.0);
    var radLat = (lat / 180.0) * Math.PI;
    var magic = 1 - GCJ_EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / (((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic)) * Math.PI);
    dLng = (dLng * 180.0) / ((GCJ_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }

  // --- Near me --------------------------------------------------------------------------------
  // The browser asks for permission only when the button is pressed: pressing it is the consent.

  function setUpNearMe(box) {
    var button = box.querySelector("[data-near-me-button]");
    var status = box.querySelector("[data-near-me-status]");
    var form = document.querySelector("[data-near-form]");
    var placeField = form ? form.querySelector("select[name=place]") : null;

    function offerPlaces(message) {
      status.textContent = message;
      status.classList.add("is-problem");
      if (placeField) {
        placeField.focus();
      }
    }

    if (!("geolocation" in navigator)) {
      status.textContent = box.dataset.msgUnsupported;
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.classList.remove("is-problem");
      status.textContent = box.dataset.msgLocating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          // The near form holds the search's other parameters and the chosen distance.
          var params = form ? new URLSearchParams(new FormData(form)) : new URLSearchParams();
          ["place", "lat", "lng", "page"].forEach(function (name) {
            params.delete(name);
          });
          params.set("lat", position.coords.latitude.toFixed(5));
          params.set("lng", position.coords.longitude.toFixed(5));
          window.location.assign(window.location.pathname + "?" + params.toString());
        },
        function (error) {
          button.disabled = false;
          offerPlaces(error.code === error.PERMISSION_DENIED ? box.dataset.msgDenied : box.dataset.msgUnavailable);
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
      );
    });
  }

  // --- Maps ------------------------------------------------------------------------------------

  function popupFor(properties, openLabel) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.name;
    var title = document.createElement("p");
    title.className = "map-popup-title";
    title.appendChild(link);
    box.appendChild(title);
    var meta = document.createElement("p");
    meta.textContent = [properties.kind, properties.address].filter(Boolean).join(" · ");
    box.appendChild(meta);
    if (openLabel) {
      var more = document.createElement("a");
      more.href = properties.url;
      more.className = "map-popup-more";
      more.textContent = openLabel;
      box.appendChild(more);
    }
    return box;
  }

  // Markers stay out of the tab order: on the list page each one duplicates a card's link right beside
  // the map, and markers of neighbouring stations overlap, too small and too close to tap or focus reliably.
  function marker(latlng, name, labelTemplate, interactive) {
    var label = (labelTemplate || "%(name)s").replace("%(name)s", name);
    return L.marker(latlng, { title: name, alt: label, keyboard: false, interactive: interactive });
  }

  // A group of stations too close together to tell apart at this zoom: a round badge with their number;
  // tapping it zooms in on them.
  function groupMarker(map, latlng, feature, labelTemplate, bounds) {
    var count = feature.properties.count;
    var badge = document.createElement("span");
    badge.textContent = String(count);
    var size = count < 100 ? 40 : count < 1000 ? 48 : 56;
    var group = L.marker(latlng, {
      icon: L.divIcon({ className: "map-group", html: badge, iconSize: [size, size] }),
      title: (labelTemplate || "%(count)s").replace("%(count)s", count),
      keyboard: false,
    });
    group.on("click", function () {
      if (bounds && !bounds.getNorthEast().equals(bounds.getSouthWest())) {
        map.fitBounds(bounds, { padding: [32, 32], maxZoom: 18 });
      } else {
        map.setView(latlng, Math.min(map.getZoom() + 3, 18));
      }
    });
    return group;
  }

  // The map's view for the feed, in WGS-84 like the stations: its bounds widened to the squares the feed groups in
  // at this zoom (so nearby views ask the same question), and the zoom.
  function viewQuery(map, toMap) {
    var zoom = map.getZoom();
    var side = 360 / Math.pow(2, zoom + 2);
    var bounds = map.getBounds();
    function toStations(latlng) {
      // GCJ-02 is a shift of a few hundred metres that changes slowly: taking it off again is exact to a metre.
      var shifted = toMap(latlng.lat, latlng.lng);
      return [2 * latlng.lat - shifted[0], 2 * latlng.lng - shifted[1]];
    }
    var sw = toStations(bounds.getSouthWest());
    var ne = toStations(bounds.getNorthEast());
    function down(value, low) {
      return Math.max(low, (Math.floor(value / side) - 1) * side);
    }
    function up(value, high) {
      return Math.min(high, (Math.ceil(value / side) + 1) * side);
    }
    var box = [down(sw[1], -180), down(sw[0], -90), up(ne[1], 180), up(ne[0], 90)];
    return "bbox=" + box.map(function (value) {
      return value.toFixed(6);
    }).join(",") + "&zoom=" + zoom;
  }

  function setUpMap(element) {
    if (typeof window.L === "undefined") {
      return; // Leaflet did not load: the page still has the list and the address.
    }
    var data = element.dataset;
    var status = element.parentNode.querySelector("[data-map-status]");
    function say(message) {
      if (status && message && status.textContent !== message) {
        status.textContent = message;
      }
    }

    var toMap = "tileGcj02" in data ? wgs84ToGcj02 : function (lat, lng) {
      return [lat, lng];
    };
    var center = (data.center || "").split(",").map(parseFloat);
    if (center.length !== 2 || isNaN(center[0]) || isNaN(center[1])) {
      center = SHANGHAI;
    }

    element.hidden = false;
    element.setAttribute("role", "region");
    element.setAttribute("aria-label", data.label || "");
    var map = L.map(element, { zoomControl: false, scrollWheelZoom: false });
    L.control.zoom({ zoomInTitle: data.labelZoomIn, zoomOutTitle: data.labelZoomOut }).addTo(map);

    if (data.tileUrl) {
      var tiles = L.tileLayer(data.tileUrl, {
        attribution: data.tileAttribution,
        subdomains: (data.tileSubdomains || "a,b,c").split(","),
        maxZoom: 18,
      });
      // A tile server that can't be reached leaves a plain background: say so once, keep the markers.
      tiles.once("tileerror", function () {
        say(data.msgTilesFailed);
      });
      tiles.addTo(map);
    }

    if (data.lat && data.lng) {
      var point = toMap(parseFloat(data.lat), parseFloat(data.lng));
      map.setView(point, 16);
      marker(point, data.name, data.labelMarker, false).addTo(map);
      return;
    }

    map.setView(toMap(center[0], center[1]), 11);
    // Near me: the circle the list was searched in, e.g. the 500-metre service circle.
    var circle = null;
    var near = (data.near || "").split(",").map(parseFloat);
    if (near.length === 2 && !isNaN(near[0]) && !isNaN(near[1])) {
      circle = L.circle(toMap(near[0], near[1]), {
        radius: parseFloat(data.radius) || 500,
        interactive: false,
        color: "#1d4f91",
        weight: 2,
        fillOpacity: 0.08,
      }).addTo(map);
      map.fitBounds(circle.getBounds());
    }
    // The feed sends every station found, or, when there are too many to show one by one, groups of stations
    // close together ("grouped"): the map then asks again for each view it moves to, at its zoom.
    var layer = null;
    var request = null;

    function load(url) {
      if (request) {
        request.abort();
      }
      request = "AbortController" in window ? new AbortController() : null;
      return fetch(url, { headers: { Accept: "application/geo+json" }, signal: request ? request.signal : undefined })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        });
    }

    function boundsOf(bbox) {
      return L.latLngBounds(toMap(bbox[1], bbox[0]), toMap(bbox[3], bbox[2]));
    }

    function show(collection) {
      var shown = L.geoJSON(collection, {
        coordsToLatLng: function (coords) {
          return L.latLng(toMap(coords[1], coords[0]));
        },
        pointToLayer: function (feature, latlng) {
          if (feature.properties.count) {
            return groupMarker(map, latlng, feature, data.labelGroup, feature.bbox ? boundsOf(feature.bbox) : null);
          }
          return marker(latlng, feature.properties.name, data.labelMarker, true);
        },
        onEachFeature: function (feature, featureLayer) {
          if (!feature.properties.count) {
            featureLayer.bindPopup(popupFor(feature.properties, data.labelOpen));
          }
        },
      }).addTo(map);
      if (layer) {
        map.removeLayer(layer);
      }
      layer = shown;
    }

    function failed(error) {
      if (!error || error.name !== "AbortError") {
        say(data.msgFeedFailed);
      }
    }

    function showView() {
      if (map.getZoom() === undefined) {
        return;
      }
      load(data.geojsonUrl + (data.geojsonUrl.indexOf("?") < 0 ? "?" : "&") + viewQuery(map, toMap)).then(show).catch(failed);
    }

    load(data.geojsonUrl)
      .then(function (collection) {
        show(collection);
        if (collection.grouped) {
          map.on("moveend", showView);
        }
        var bounds = circle ? circle.getBounds() : null;
        if (collection.bbox) {
          bounds = bounds ? bounds.extend(boundsOf(collection.bbox)) : boundsOf(collection.bbox);
        }
        if (bounds) {
          map.fitBounds(bounds, { maxZoom: 16, padding: [24, 24] });
        }
      })
      .catch(failed);
  }

  function start() {
    document.querySelectorAll("[data-near-me]").forEach(setUpNearMe);
    document.querySelectorAll("[data-station-map]").forEach(setUpMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
