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
  var cameraBox = document.querySelector("[data-camera]");
  var video = document.querySelector("[data-camera-video]");
  var cameraStatus = document.querySelector("[data-camera-status]");
  var startButton = form.querySelector("[data-camera-start]");
  var stopButton = form.querySelector("[data-camera-stop]");
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
        if (!stream) input.focus();
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

  // Camera scanning.
  var stream = null;
  var canvas = null;
  var lastCode = "";
  var lastCodeAt = 0;
  var lastDecodeAt = 0;
  var SAME_CODE_PAUSE_MS = 4000; // the same QR stays in view: don't scan it ten times a second
  var DECODE_EVERY_MS = 150;

  function setCameraStatus(message) {
    cameraStatus.textContent = message || "";
  }

  function loadDecoder() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = startButton.dataset.jsqrSrc;
      script.onload = function () {
        resolve();
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    video.srcObject = null;
    cameraBox.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    setCameraStatus("");
  }

  function scanFrame(now) {
    if (!stream) return;
    window.requestAnimationFrame(scanFrame);
    if (now - lastDecodeAt < DECODE_EVERY_MS || video.readyState < 2 || !video.videoWidth) return;
    lastDecodeAt = now;
    var scale = Math.min(1, 640 / video.videoWidth);
    var width = Math.round(video.videoWidth * scale);
    var height = Math.round(video.videoHeight * scale);
    canvas = canvas || document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
      inversionAttempts: "dontInvert",
    });
    if (!found || !found.data) return;
    if (found.data === lastCode && now - lastCodeAt < SAME_CODE_PAUSE_MS) return;
    lastCode = found.data;
    lastCodeAt = now;
    input.value = found.data;
    postCode(found.data);
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setCameraStatus(cameraStatus.dataset.msgUnavailable);
      input.focus();
      return;
    }
    startButton.disabled = true;
    loadDecoder()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
      })
      .then(function (mediaStream) {
        stream = mediaStream;
        video.srcObject = mediaStream;
        cameraBox.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        stopButton.focus();
        setCameraStatus(cameraStatus.dataset.msgLooking);
        return video.play();
      })
      .then(function () {
        window.requestAnimationFrame(scanFrame);
      })
      .catch(function () {
        stopCamera();
        setCameraStatus(cameraStatus.dataset.msgDenied);
        input.focus();
      })
      .then(function () {
        startButton.disabled = false;
      });
  }

  startButton.hidden = false;
  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", function () {
    stopCamera();
    input.focus();
  });
  window.addEventListener("pagehide", stopCamera);
})();
