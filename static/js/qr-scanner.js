/*
 * Reading QR codes with the phone's camera, for the staff pages that take a typed code
 * (the events check-in and the lunch handover).
 *
 * portalQrScanner({input, cameraBox, video, status, startButton, stopButton, onCode}) wires
 * the page's buttons: the camera starts only after a tap, the vendored jsQR decoder
 * (static/vendor/jsqr/, its address in startButton's data-jsqr-src) loads on first use, and a
 * code read is put in `input` and handed to `onCode`. The same code held in view is read once
 * every few seconds, not ten times a second. If the camera is missing or refused, `status`
 * says so (its data-msg-unavailable / data-msg-denied / data-msg-looking texts); typing keeps
 * working. Returns {isRunning()}.
 */
window.portalQrScanner = function (options) {
  "use strict";

  var input = options.input;
  var cameraBox = options.cameraBox;
  var video = options.video;
  var status = options.status;
  var startButton = options.startButton;
  var stopButton = options.stopButton;
  var stream = null;
  var canvas = null;
  var lastCode = "";
  var lastCodeAt = 0;
  var lastDecodeAt = 0;
  var SAME_CODE_PAUSE_MS = 4000;
  var DECODE_EVERY_MS = 150;

  function setStatus(message) {
    status.textContent = message || "";
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

  function stop() {
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
    setStatus("");
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
    options.onCode(found.data);
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus(status.dataset.msgUnavailable);
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
        setStatus(status.dataset.msgLooking);
        return video.play();
      })
      .then(function () {
        window.requestAnimationFrame(scanFrame);
      })
      .catch(function () {
        stop();
        setStatus(status.dataset.msgDenied);
        input.focus();
      })
      .then(function () {
        startButton.disabled = false;
      });
  }

  startButton.hidden = false;
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    stop();
    input.focus();
  });
  window.addEventListener("pagehide", stop);

  return {
    isRunning: function () {
      return stream !== null;
    },
  };
};
