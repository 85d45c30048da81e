/* The shared board: Excalidraw (window.SevenstepsBoard, static/vendor/excalidraw-*) bound to a
 * Yjs map (the `board` document's root "elements": element id -> element as plain JSON; see
 * interviews/crdt.py and interviews/board.py, which checks each element the server receives).
 *
 * Merging is Excalidraw's own: per element, the higher version wins, and on equal versions the
 * lower versionNonce. Each browser writes into the map only the elements it holds a winning copy
 * of, and merges the entries others wrote with Excalidraw's reconcile; where two browsers wrote
 * the same element at once and the map kept the losing copy, the winner writes its copy again,
 * so every browser ends with the same elements. Deleting marks an element (isDeleted): entries
 * are never removed, which keeps the board's history whole for the timeline's replay.
 *
 * Used by the room (static/js/room-board.js) and the timeline's replay (static/js/replay.js).
 */
(function () {
  "use strict";

  const ROOT = "elements";
  const WRITE_EVERY = 100; // ms between two writes into the shared map while drawing
  const TYPES = new Set(["rectangle", "diamond", "ellipse", "arrow", "line", "freedraw", "text", "frame"]);
  const LOCAL = "board"; // the origin of this browser's own writes

  /** The elements stored in a board document, deleted ones included. */
  function elementsOf(ydoc) {
    return Array.from(ydoc.getMap(ROOT).values());
  }

  /** Whether `mine` should replace `stored` (Excalidraw's reconcile rule). */
  function wins(mine, stored) {
    if (!stored) return true;
    if (mine.version !== stored.version) return mine.version > stored.version;
    return mine.versionNonce < stored.versionNonce;
  }

  /** An element as the server accepts it: plain JSON, links only to web pages. */
  function storable(element) {
    const copy = JSON.parse(JSON.stringify(element));
    if (copy.link && !/^https?:\/\/\S+$/i.test(copy.link)) copy.link = null;
    return copy;
  }

  /**
   * Mounts a board into `container` bound to `ydoc`. options: editable (bool), theme.
   * Returns {ready (a promise), setEditable(bool), exportPng(), addElements(elements), handle}.
   */
  // Excalidraw draws a few icon-only buttons (its menu) without a name: name them for screen
  // readers, now and whenever it draws them again.
  const UNNAMED = { "main-menu-trigger": "Board menu", "dropdown-menu-button": "Board menu" };
  function nameButtons(container) {
    container.querySelectorAll("button").forEach((button) => {
      if (button.getAttribute("aria-label") || button.textContent.trim()) return;
      const known = Object.keys(UNNAMED).find((name) => button.classList.contains(name));
      button.setAttribute("aria-label", known ? UNNAMED[known] : (button.title || "Board tool"));
    });
  }
  function watchNames(container) {
    nameButtons(container);
    new MutationObserver(() => nameButtons(container)).observe(container, { childList: true, subtree: true });
  }

  function attach(container, ydoc, options) {
    const B = window.SevenstepsBoard;
    const map = ydoc.getMap(ROOT);
    let editable = !!(options && options.editable);
    let started = false;
    let lastVersion = -1;
    let timer = null;

    const handle = B.mount(container, {
      initialElements: elementsOf(ydoc),
      viewModeEnabled: !editable,
      theme: (options && options.theme) || "light",
      onChange: (elements) => {
        if (!started || !editable) return;
        const version = B.sceneVersion(elements);
        if (version === lastVersion) return;
        lastVersion = version;
        schedule();
      },
    });
    watchNames(container);

    function schedule() {
      if (!timer) timer = setTimeout(write, WRITE_EVERY);
    }

    function write() {
      timer = null;
      if (!started || !editable) return;
      const changed = handle.getSceneElementsIncludingDeleted().filter(
        (element) => TYPES.has(element.type) && wins(element, map.get(element.id)),
      );
      if (!changed.length) return;
      ydoc.transact(() => {
        changed.forEach((element) => map.set(element.id, storable(element)));
      }, LOCAL);
    }

    map.observe((event, transaction) => {
      if (transaction.local || !started) return;
      const incoming = [];
      event.keysChanged.forEach((key) => {
        const element = map.get(key);
        if (element) incoming.push(element);
      });
      if (!incoming.length) return;
      handle.reconcile(incoming);
      schedule(); // where this browser holds the winning copy, it writes it again
    });

    const ready = handle.ready.then(() => {
      // What arrived between the mount and now (a snapshot, this browser's stored copy).
      const stored = elementsOf(ydoc);
      if (stored.length) handle.reconcile(stored);
      started = true;
      handle.setViewMode(!editable); // it may have changed while Excalidraw was starting
      lastVersion = B.sceneVersion(handle.getSceneElementsIncludingDeleted());
      if (stored.length) handle.scrollToContent();
      schedule();
      return controller;
    });

    const controller = {
      handle: handle,
      ready: ready,
      setEditable(value) {
        value = !!value;
        if (value === editable) return;
        editable = value;
        if (started) handle.setViewMode(!editable);
        if (editable) schedule();
      },
      exportPng() {
        return started ? handle.exportPng() : Promise.resolve(null);
      },
      hasDrawing() {
        return started && handle.getSceneElements().length > 0;
      },
      /** Adds elements (a converted diagram) beside what is drawn, then shows them all. */
      addElements(elements) {
        const current = handle.getSceneElementsIncludingDeleted();
        const shown = current.filter((e) => !e.isDeleted);
        const right = shown.length ? Math.max(...shown.map((e) => e.x + e.width)) + 80 : 0;
        const left = elements.length ? Math.min(...elements.map((e) => e.x)) : 0;
        const top = shown.length ? Math.min(...shown.map((e) => e.y)) : 0;
        const topNew = elements.length ? Math.min(...elements.map((e) => e.y)) : 0;
        const moved = elements.map((e) => Object.assign({}, e, { x: e.x - left + right, y: e.y - topNew + top }));
        handle.updateScene(current.concat(moved));
        handle.scrollToContent();
        schedule();
      },
    };
    return controller;
  }

  window.SevenstepsSharedBoard = Object.freeze({ attach: attach, elementsOf: elementsOf, ROOT: ROOT });
})();
