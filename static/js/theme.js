/* The colour theme, loaded in <head> without defer so that it runs before the first paint: a
   page never flashes light before turning dark. "light" or "dark" chosen with the header's
   toggle is kept in localStorage and set as <html data-theme>; "system" (or nothing stored)
   leaves it to prefers-color-scheme (static/css/app.css has both). Also marks <html> with
   class "js", so that the phone menu is collapsed only when a script can open it. */
(function () {
  "use strict";
  var KEY = "sevensteps-theme";
  var root = document.documentElement;
  root.classList.add("js");

  function apply(choice) {
    if (choice === "light" || choice === "dark") root.setAttribute("data-theme", choice);
    else root.removeAttribute("data-theme");
  }

  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (error) {
      return null; // storage refused (private mode, a policy): follow the system
    }
  }

  function remember(choice) {
    try {
      if (choice === "light" || choice === "dark") window.localStorage.setItem(KEY, choice);
      else window.localStorage.removeItem(KEY);
    } catch (error) {
      /* the choice holds for this page only */
    }
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-theme-choice]").forEach(function (select) {
      select.value = root.getAttribute("data-theme") || "system";
      select.addEventListener("change", function () {
        remember(select.value);
        apply(select.value);
      });
    });
  });

  // Another tab changed the theme: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) apply(event.newValue);
  });
})();
