/* The report page: when htmx swaps the compiled report in (the page polls while it compiles),
 * draw its Mermaid diagrams. Everything else on the page is plain HTML and inline SVG. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    if (window.SevenstepsDiagram && event.target && event.target.querySelector) {
      window.SevenstepsDiagram.renderAll(event.target.parentNode || document);
    }
  });
})();
