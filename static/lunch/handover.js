/*
 * Lunch handover desk (templates/lunch/handover.html), after the events check-in page
 * (static/events/checkin.js), whose camera scanning it reuses.
 *
 * The page works without this file: the code form posts and the server answers with a flash
 * message and what to hand over. With it:
 *  - the code form posts in the background; the answer (the meal, and money to collect) appears
 *    above the field, which is cleared and focused for the next person;
 *  - choosing another pickup point reloads the page for that point straight away;
 *  - "Scan with camera" (only after a tap) reads QR codes with the vendored jsQR decoder
 *    (static/vendor/jsqr/), loaded on first use. Typing the code keeps working.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-handover-form]");
  if (!form) return;
  var pointForm = document.querySelector("[data-handover-point-form]");
  var input = form.querySelector("input[name=code]");
  var result = document.querySelector("[data-handover-result]");
  var cameraStatus = document.querySelector("[data-camera-status]");
  var busy = false;

  if (pointForm) {
    var submit = pointForm.querySelector("[data-point-submit]");
    if (submit) submit.hidden = true;
    pointForm.querySelector("select").addEventListener("change", function () {
      pointForm.submit();
    });
  }

  function showResult(answer) {
    result.textContent = "";
    var p = document.createElement("p");
    p.className = "message " + (answer.ok ? "message-success" : "message-error");
    p.textContent = answer.message;
    result.appendChild(p);
    if (answer.ok && answer.html) {
      // Rendered by the server from templates/lunch/includes/handover_result.html (escaped there).
      var holder = document.createElement("div");
      holder.innerHTML = answer.html;
      result.appendChild(holder);
    }
  }

  function updateCounts(counts) {
    if (!counts) return;
    ["picked", "total"].forEach(function (key) {
      var el = document.querySelector('[data-count="' + key + '"]');
      if (el && counts[key] !== undefined) el.textContent = String(counts[key]);
    });
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
        showResult(answer);
        updateCounts(answer.counts);
        input.value = "";
      })
      .catch(function () {
        showResult({ ok: false, message: cameraStatus.dataset.msgNetwork });
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
