/* Zoom and pan for a rendered Mermaid diagram (static/js/diagram.js) in a box that scrolls:
 *
 *   <div class="zoom-bar" data-zoom-bar="ID">  buttons data-zoom="in" | "out" | "fit" | "reset",
 *                                               and [data-zoom-level] for the percentage
 *   <div class="diagram" id="ID" data-zoomable> … the SVG …
 *
 * At 100 % the labels are drawn at Mermaid's own font size (readable); "fit" shows the whole
 * diagram however small. Ctrl (or ⌘) with the mouse wheel zooms; dragging pans. The zoom
 * survives re-renders (the room redraws the diagram as it is typed).
 */
(function () {
  "use strict";

  const STEPS = [0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3];

  function natural(svg) {
    const box = svg.viewBox && svg.viewBox.baseVal;
    if (box && box.width && box.height) return { width: box.width, height: box.height };
    const rect = svg.getBoundingClientRect();
    return { width: rect.width || 1, height: rect.height || 1 };
  }

  function attach(box) {
    const bar = document.querySelector('[data-zoom-bar="' + box.id + '"]');
    let zoom = 1;

    function svg() {
      return box.querySelector("svg");
    }

    function apply() {
      const drawing = svg();
      if (bar) {
        const level = bar.querySelector("[data-zoom-level]");
        if (level) level.textContent = Math.round(zoom * 100) + "%";
        bar.querySelectorAll("button").forEach((button) => { button.disabled = !drawing; });
      }
      if (!drawing) return;
      const size = natural(drawing);
      drawing.style.maxWidth = "none";
      drawing.style.width = Math.round(size.width * zoom) + "px";
      drawing.style.height = Math.round(size.height * zoom) + "px";
      box.dataset.zoom = String(zoom);
    }

    function set(value) {
      zoom = Math.min(STEPS[STEPS.length - 1], Math.max(0.1, value));
      apply();
    }

    function step(direction) {
      const next = direction > 0 ? STEPS.find((s) => s > zoom + 0.001) : STEPS.slice().reverse().find((s) => s < zoom - 0.001);
      if (next) set(next);
    }

    function fit() {
      const drawing = svg();
      if (!drawing) return;
      const size = natural(drawing);
      const width = box.clientWidth - 24;
      const height = box.clientHeight - 24;
      set(Math.min(width / size.width, height > 40 ? height / size.height : Infinity));
    }

    if (bar) {
      bar.addEventListener("click", (event) => {
        const button = event.target.closest("[data-zoom]");
        if (!button) return;
        const what = button.dataset.zoom;
        if (what === "in") step(1);
        else if (what === "out") step(-1);
        else if (what === "fit") fit();
        else set(1);
      });
    }

    box.addEventListener("wheel", (event) => {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      step(event.deltaY < 0 ? 1 : -1);
    }, { passive: false });

    let drag = null;
    box.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || !svg()) return;
      drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
      box.classList.add("is-panning");
    });
    window.addEventListener("pointermove", (event) => {
      if (!drag) return;
      box.scrollLeft = drag.left - (event.clientX - drag.x);
      box.scrollTop = drag.top - (event.clientY - drag.y);
    });
    window.addEventListener("pointerup", () => {
      drag = null;
      box.classList.remove("is-panning");
    });

    new MutationObserver(apply).observe(box, { childList: true });
    apply();
  }

  function start() {
    document.querySelectorAll("[data-zoomable]").forEach(attach);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
