/*
 * Staff check-in page (templates/events/staff/checkin.html).
 *
 * The page works without this file: the code form posts and the server answers
 * with a flash message. With it:
 *  - the form posts in the background and the answer appears under the field,
 *    which is cleared and focused again for the next person;
 *  - the arrivals count and list refresh every 5 seconds (several staff may be
 *    checking people in at once);
 *  - "Scan with camera" (only after a tap) reads QR codes with the vendored
 *    jsQR decoder (static/vendor/jsqr/), loaded on first use. If the camera is
 *    missing or refused we say so; typing the code keeps working.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-checkin-form]");
  if (!form) return;
  var input = form.querySelector("input[name=code]");
  var result = document.querySelector("[data-checkin-result]");
  var countBox = document.querySelector("[data-count-url]");
  var arrivalsList = document.querySelector("[data-arrivals]");
  var arrivalsEmpty = document.querySelector("[data-arrivals-empty]");
  var cameraStatus = document.querySelector("[data-camera-status]");
  var POLL_MS = 5000;
  var busy = false;

  function outcomeClass(outcome) {
    if (outcome === "checked_in") return "message-success";
    if (outcome === "already_checked_in") return "message-warning";
    return "message-error";
  }

  function showResult(text, cssClass) {
    result.textContent = "";
    var p = document.createElement("p");
    p.className = "message " + cssClass;
    p.textContent = text;
    result.appendChild(p);
  }

  function updateCounts(counts) {
    if (!counts) return;
    ["checked_in", "confirmed"].forEach(function (key) {
      var el = document.querySelector('[data-count="' + key + '"]');
      if (el && counts[key] !== undefined) el.textContent = String(counts[key]);
    });
  }

  function arrivalItem(arrival) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.className = "arrival-name";
    name.textContent = arrival.name;
    var seats = document.createElement("span");
    seats.className = "arrival-seats";
    seats.textContent = arrival.seats_label;
    var time = document.createElement("time");
    time.textContent = arrival.time;
    li.appendChild(name);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(seats);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(time);
    return li;
  }

  function showArrivals(arrivals) {
    arrivalsList.textContent = "";
    arrivals.forEach(function (arrival) {
      arrivalsList.appendChild(arrivalItem(arrival));
    });
    arrivalsEmpty.hidden = arrivals.length > 0;
  }

  function postCode(code) {
    if (busy) return Promise.resolve();
    busy = true;
    var data = new FormData(form);
    data.set("code", code);
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (answer) {
        showResult(answer.message, outcomeClass(answer.outcome));
        updateCounts(answer.counts);
        if (answer.arrival) {
          arrivalsList.insertBefore(arrivalItem(answer.arrival), arrivalsList.firstChild);
          arrivalsEmpty.hidden = true;
        }
        input.value = "";
      })
      .catch(function () {
        showResult(cameraStatus.dataset.msgNetwork, "message-error");
      })
      .then(function () {
        busy = false;
        if (!scanner.isRunning()) input.focus();
      });
  }

  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.FormData) return; // the plain form post does the job
    event.preventDefault();
    if (!input.value.trim()) {
      input.focus();
      return;
    }
    postCode(input.value);
  });

  // Live count: several phones may be checking people in at the same door.
  function poll() {
    if (document.hidden || !window.fetch) return;
    fetch(countBox.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer) return;
        updateCounts(answer);
        showArrivals(answer.arrivals || []);
      })
      .catch(function () {
        /* offline for a moment: the next poll tries again */
      });
  }
  window.setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });

  // Camera scanning (static/js/qr-scanner.js): a code read is checked like a typed one.
  var scanner = window.portalQrScanner({
    input: input,
    cameraBox: document.querySelector("[data-camera]"),
    video: document.querySelector("[data-camera-video]"),
    status: cameraStatus,
    startButton: form.querySelector("[data-camera-start]"),
    stopButton: form.querySelector("[data-camera-stop]"),
    onCode: postCode,
  });
})();
