/*
 * Order page (templates/lunch/order_form.html): the price follows the pickup point and the
 * number of meals as they are chosen.
 *
 * Without this file the "Update the price" button does the same with a round trip. With it,
 * the button is hidden and the price box is asked for again in the background
 * (the X-Lunch-Preview header makes the view answer with the box only); the box is an
 * aria-live region, so screen readers hear the new price.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-order-form]");
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var box = form.querySelector("[data-order-price-box]");
  var previewButton = form.querySelector("[data-preview-button]");
  var pending = 0;

  function refresh() {
    var params = new URLSearchParams();
    ["point", "quantity", "payment"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) params.set(name, field.value);
    });
    var ticket = ++pending;
    fetch(form.dataset.previewUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { "X-Lunch-Preview": "1" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (ticket !== pending) return; // an answer to an older choice
        box.innerHTML = html;
      })
      .catch(function () {
        if (previewButton) previewButton.hidden = false; // the button still works
      });
  }

  // A second tap on "Confirm" while the first is on its way does nothing (the server's one-time key would
  // refuse a second order anyway); the button says it is busy. Disabled only after the browser has taken
  // its name and value into the form data.
  var sending = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.name !== "confirm") return;
    if (sending) {
      event.preventDefault();
      return;
    }
    sending = true;
    window.setTimeout(function () {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }, 0);
  });

  if (previewButton) previewButton.hidden = true;
  form.addEventListener("change", function (event) {
    if (["point", "quantity", "payment"].indexOf(event.target.name) !== -1) refresh();
  });
})();
