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
    fetch(data.geojsonUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          coordsToLatLng: function (coords) {
            return L.latLng(toMap(coords[1], coords[0]));
          },
          pointToLayer: function (feature, latlng) {
            return marker(latlng, feature.properties.name, data.labelMarker, true);
          },
          onEachFeature: function (feature, layer) {
            layer.bindPopup(popupFor(feature.properties, data.labelOpen));
          },
        }).addTo(map);
        var bounds = circle ? circle.getBounds() : null;
        if (layer.getLayers().length) {
          bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
        }
        if (bounds) {
          map.fitBounds(bounds, { maxZoom: 16, padding: [24, 24] });
        }
      })
      .catch(function () {
        say(data.msgFeedFailed);
      });
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
