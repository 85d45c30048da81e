/* Behaviour every page shares: the header's menu on phones, and keyboard-complete tabs.

   Tabs: any [role=tablist] gets the keys of the ARIA tabs pattern: Left/Right (Up/Down when
   aria-orientation is vertical) move to the previous/next tab, Home/End to the first/last, and
   the tab reached is activated by clicking it, so whatever script owns the tabs stays the one
   that switches them. Only the selected tab is in the Tab order (a roving tabindex), kept in
   step with aria-selected however it changes; a panel named by the selected tab's
   aria-controls is labelled by that tab. */
(function () {
  "use strict";

  function tabsOf(list) {
    return Array.prototype.filter.call(list.querySelectorAll("[role=tab]"), function (tab) {
      return !tab.disabled && !tab.hidden;
    });
  }

  function syncTabs(list) {
    var tabs = tabsOf(list);
    var selected = tabs.filter(function (tab) {
      return tab.getAttribute("aria-selected") === "true";
    })[0] || tabs[0];
    tabs.forEach(function (tab) {
      tab.tabIndex = tab === selected ? 0 : -1;
    });
    if (!selected) return;
    var panelId = selected.getAttribute("aria-controls");
    var panel = panelId && document.getElementById(panelId);
    if (panel && selected.id) panel.setAttribute("aria-labelledby", selected.id);
  }

  function onTabKey(event) {
    var list = event.currentTarget;
    var tabs = tabsOf(list);
    var index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    var vertical = list.getAttribute("aria-orientation") === "vertical";
    var next = {
      ArrowRight: vertical ? null : index + 1,
      ArrowLeft: vertical ? null : index - 1,
      ArrowDown: vertical ? index + 1 : null,
      ArrowUp: vertical ? index - 1 : null,
      Home: 0,
      End: tabs.length - 1,
    }[event.key];
    if (next === null || next === undefined) return;
    event.preventDefault();
    var target = tabs[(next + tabs.length) % tabs.length];
    target.focus();
    target.click();
    syncTabs(list);
  }

  function setUpTabs(list) {
    if (list.dataset.tabsReady) return;
    list.dataset.tabsReady = "1";
    list.addEventListener("keydown", onTabKey);
    new MutationObserver(function () {
      syncTabs(list);
    }).observe(list, { attributes: true, subtree: true, attributeFilter: ["aria-selected"] });
    syncTabs(list);
  }

  function setUpMenu() {
    var toggle = document.querySelector("[data-menu-toggle]");
    var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;
    function show(open) {
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    }
    toggle.addEventListener("click", function () {
      show(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        show(false);
        toggle.focus();
      }
    });
  }

  /* A table or chart wider than a phone scrolls inside its frame: keyboard users must be able
     to reach it to scroll it, so a frame that scrolls becomes a labelled, focusable region. */
  function markScrollers() {
    document.querySelectorAll(".table-wrap, .chart-frame").forEach(function (frame) {
      var scrolls = frame.scrollWidth > frame.clientWidth + 1;
      if (scrolls && !frame.hasAttribute("tabindex")) {
        frame.tabIndex = 0;
        frame.setAttribute("role", "region");
        var heading = frame.closest("section") && frame.closest("section").querySelector("h2, h3");
        frame.setAttribute(
          "aria-label",
          frame.dataset.scrollLabel || (heading ? heading.textContent.trim() : "Table") + " (scrolls sideways)"
        );
      } else if (!scrolls && frame.getAttribute("role") === "region") {
        frame.removeAttribute("tabindex");
        frame.removeAttribute("role");
        frame.removeAttribute("aria-label");
      }
    });
  }

  function start() {
    markScrollers();
    window.addEventListener("resize", markScrollers);
    setUpMenu();
    document.querySelectorAll("[role=tablist]").forEach(setUpTabs);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // Tab lists that arrive later (htmx swaps).
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[role=tablist]").forEach(setUpTabs);
  });
})();
