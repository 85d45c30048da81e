/*
 * Sevensteps diagrams: Mermaid text rendered to SVG in the browser.
 *
 * Markup (emitted by casestudies/_diagram.html):
 *
 *   <div class="diagram" data-source="flowchart LR&#10;  A --> B"> …placeholder… </div>
 *
 * The Mermaid text lives in the `data-source` attribute (HTML-escaped by the template; line
 * breaks survive in attribute values). When the page has loaded, every `.diagram[data-source]`
 * is rendered; its contents are replaced by the SVG.
 *
 * Scripts: the vendored Mermaid first, then this file, both `defer`
 * (casestudies/_diagram_scripts.html has the two tags).
 *
 * For other scripts (the interview room re-renders the candidate's diagram as they type):
 *
 *   window.SevenstepsDiagram.render(element, text, options) -> Promise<boolean>
 *     Renders `text` into `element` and resolves true once the SVG is in place. On a syntax
 *     error the element shows the error message (`.mermaid-error`) and the source
 *     (`pre.mermaid-source`) and the promise resolves false. With `{keepLast: true}` (the room,
 *     where the text is being typed) a drawing already in place stays, and the error is shown
 *     beside it (`.diagram-note`), not instead of it. It never rejects and never leaves
 *     the element blank. When render is called again on the same element before an earlier
 *     call finished, the earlier call resolves false without touching the element: the latest
 *     text wins.
 *
 *   window.SevenstepsDiagram.renderAll(root = document) -> Promise<boolean[]>
 *     Renders every `.diagram[data-source]` under `root` (for content swapped in by htmx).
 *
 * A diagram with `data-input="<textarea id>"` re-renders (debounced) as that textarea is edited.
 *
 * Mermaid runs with securityLevel "strict": no HTML labels, no click handlers, no scripts.
 */
(function () {
  "use strict";

  var initialised = false;
  var counter = 0;
  var latest = new WeakMap(); // element -> token of the most recent render call

  function initialise() {
    if (initialised) return true;
    if (!window.mermaid) return false;
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "neutral",
      // Throw on a syntax error instead of drawing Mermaid's own "bomb" picture: the message
      // and the source are more use to someone who is typing.
      suppressErrorRendering: true,
    });
    initialised = true;
    return true;
  }

  function clear(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  }

  function showMessage(element, text) {
    clear(element);
    var p = document.createElement("p");
    p.className = "diagram-empty";
    p.textContent = text;
    element.appendChild(p);
    element.classList.remove("has-error", "is-rendered");
  }

  function showError(element, message, text) {
    clear(element);
    var error = document.createElement("div");
    error.className = "mermaid-error";
    error.setAttribute("role", "alert");
    error.textContent = message;
    var source = document.createElement("pre");
    source.className = "mermaid-source";
    source.textContent = text;
    element.appendChild(error);
    element.appendChild(source);
    element.classList.add("has-error");
    element.classList.remove("is-rendered");
  }

  function errorMessage(error) {
    var message = (error && (error.message || error.str)) || String(error);
    return "The diagram could not be drawn. " + message;
  }

  function removeLeftovers(id) {
    // Mermaid measures text in a temporary element; make sure none survives a failure.
    ["d" + id, id].forEach(function (leftover) {
      var node = document.getElementById(leftover);
      if (node && !node.closest(".diagram")) node.remove();
    });
  }

  function showStale(element, message) {
    var note = element.querySelector(":scope > .diagram-note");
    if (!note) {
      note = document.createElement("div");
      note.className = "diagram-note mermaid-error";
      note.setAttribute("role", "status");
      element.insertBefore(note, element.firstChild);
    }
    note.textContent = "Showing the last version that could be drawn. " + message;
    element.classList.add("has-stale");
  }

  function render(element, text, options) {
    var keepLast = !!(options && options.keepLast);
    var token = {};
    latest.set(element, token);
    text = text == null ? "" : String(text);
    element.setAttribute("aria-busy", "true");

    function isCurrent() {
      return latest.get(element) === token;
    }

    function done(ok) {
      if (isCurrent()) element.removeAttribute("aria-busy");
      return ok;
    }

    if (!text.trim()) {
      showMessage(element, element.getAttribute("data-empty") || "No diagram yet.");
      return Promise.resolve(done(false));
    }
    if (!initialise()) {
      showError(element, "The diagram library did not load.", text);
      return Promise.resolve(done(false));
    }

    var id = "sevensteps-diagram-" + ++counter;
    var rendering;
    try {
      rendering = Promise.resolve(window.mermaid.render(id, text));
    } catch (error) {
      rendering = Promise.reject(error);
    }
    return rendering.then(
      function (result) {
        removeLeftovers(id);
        if (!isCurrent()) return false;
        element.innerHTML = result.svg;
        if (result.bindFunctions) result.bindFunctions(element);
        element.classList.add("is-rendered");
        element.classList.remove("has-error", "has-stale");
        return done(true);
      },
      function (error) {
        removeLeftovers(id);
        if (!isCurrent()) return false;
        if (keepLast && element.classList.contains("is-rendered")) {
          showStale(element, errorMessage(error));
        } else {
          showError(element, errorMessage(error), text);
        }
        return done(false);
      }
    );
  }

  // `data-input="<id of a textarea>"` on a diagram keeps it in step with what is typed there
  // (the curation form previews the reference diagram this way).
  function follow(element) {
    var input = document.getElementById(element.getAttribute("data-input") || "");
    if (!input || element.dataset.following) return;
    element.dataset.following = "1";
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        render(element, input.value);
      }, 300);
    });
  }

  function renderAll(root) {
    root = root || document;
    var elements = root.querySelectorAll(".diagram[data-source]");
    return Promise.all(
      Array.prototype.map.call(elements, function (element) {
        follow(element);
        return render(element, element.getAttribute("data-source"));
      })
    );
  }

  window.SevenstepsDiagram = { render: render, renderAll: renderAll };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      renderAll(document);
    });
  } else {
    renderAll(document);
  }
})();
