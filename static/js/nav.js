// On a phone the main menu folds away behind a "Menu" button, so a page starts with its own content.
// Without JavaScript the menu simply stays open.
(function () {
  "use strict";
  var nav = document.getElementById("site-nav");
  var toggle = document.getElementById("nav-toggle");
  if (!nav || !toggle) {
    return;
  }
  var phone = window.matchMedia("(max-width: 48rem)");

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-collapsed", !open);
  }

  function fit() {
    toggle.hidden = !phone.matches;
    setOpen(!phone.matches);
  }

  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  phone.addEventListener("change", fit);
  fit();
})();
