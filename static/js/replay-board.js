/* The board in the timeline's replay: a read-only Excalidraw showing the elements the replay
 * (static/js/replay.js) hands it for the moment on the scrubber. The 4 MB board bundle loads
 * only when the session has a board; the pane stays hidden otherwise.
 *
 *   window.SevenstepsReplayBoard.show(elements)   elements: the board document's entries
 */
(function () {
  "use strict";

  const pane = document.querySelector("[data-replay-board-pane]");
  const box = pane && pane.querySelector("[data-replay-board]");
  if (!box) return;
  let bundle = null;
  let handle = null;
  let latest = [];
  let shownKey = null;
  let fitted = false;
  let mounting = false;

  function loadBundle() {
    if (!bundle) {
      bundle = new Promise((resolve, reject) => {
        if (window.SevenstepsBoard) return resolve();
        const script = document.createElement("script");
        script.src = box.dataset.bundle;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error("the board could not be loaded"));
        document.head.appendChild(script);
      });
    }
    return bundle;
  }

  /** A cheap fingerprint of what is drawn: which elements, at which versions. */
  function keyOf(elements) {
    return elements.map((e) => e.id + ":" + e.version + (e.isDeleted ? "d" : "")).sort().join(",");
  }

  function draw() {
    if (!handle) return;
    const key = keyOf(latest);
    if (key === shownKey) return;
    shownKey = key;
    const shown = latest.filter((e) => e && !e.isDeleted);
    box.dataset.elements = String(shown.length); // what is on the board now (tests read it)
    handle.updateScene(shown, { remote: true });
    if (!fitted && shown.length) {
      handle.scrollToContent();
      fitted = true;
    }
  }

  function show(elements) {
    latest = elements || [];
    if (!latest.length && !handle) return; // no board in this session (yet)
    pane.hidden = false;
    if (handle) return draw();
    if (mounting) return;
    mounting = true;
    loadBundle().then(() => {
      const mounted = window.SevenstepsBoard.mount(box, { viewModeEnabled: true, initialElements: [] });
      mounted.ready.then(() => {
        handle = mounted;
        box.dataset.ready = "1";
        draw();
      });
    }, () => {
      box.textContent = "The board could not be loaded.";
    });
  }

  window.SevenstepsReplayBoard = { show: show };
})();
