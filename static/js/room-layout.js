/* The room's layout: which panel shows on a narrow screen (tabs over notes, board, guide, chat
 * and steps), the board or the Mermaid diagram beside the notes, and the prompt folded away once
 * the interview starts (it stays one click away).
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  if (!root) return;
  const $$ = (sel) => Array.from(root.querySelectorAll(sel));

  // --- A laptop: the grid fills the window below the header (CSS reads --grid-top) ------------------

  const grid = root.querySelector(".room-grid");
  function measure() {
    if (!grid) return;
    const top = grid.getBoundingClientRect().top + window.scrollY;
    root.style.setProperty("--grid-top", Math.round(top) + "px");
  }
  window.addEventListener("resize", measure);
  if (window.ResizeObserver) {
    // The header, the invite and the banner come and go above the grid.
    const watcher = new ResizeObserver(measure);
    watcher.observe(root);
    Array.from(root.children).forEach((child) => { if (child !== grid) watcher.observe(child); });
  }
  measure();

  // --- Narrow screens: one panel at a time -------------------------------------------------------

  function showPane(name) {
    root.dataset.pane = name;
    $$("[data-pane-tab]").forEach((tab) => tab.setAttribute("aria-selected", String(tab.dataset.paneTab === name)));
    $$("[data-pane]").forEach((box) => box.classList.toggle("pane-on", box.dataset.pane.split(" ").includes(name)));
    window.dispatchEvent(new Event("resize")); // the board measures its box again
  }
  $$("[data-pane-tab]").forEach((tab) => tab.addEventListener("click", () => showPane(tab.dataset.paneTab)));
  showPane("notes");
  // On a phone the step's brief starts folded (one tap away), leaving the room to the notes.
  const narrow = window.matchMedia("(max-width: 760px)");
  function foldBriefs() {
    $$("[data-step-brief]").forEach((brief) => { brief.open = !narrow.matches; });
  }
  narrow.addEventListener("change", foldBriefs);
  foldBriefs();

  // --- The board or the diagram ------------------------------------------------------------------

  let drawingChosen = false; // once someone picks a tab, the room stops choosing for them

  function showDrawing(name) {
    $$("[data-drawing-tab]").forEach((tab) => tab.setAttribute("aria-selected", String(tab.dataset.drawingTab === name)));
    $$("[data-drawing-panel]").forEach((panel) => { panel.hidden = panel.dataset.drawingPanel !== name; });
    window.dispatchEvent(new Event("resize"));
  }
  $$("[data-drawing-tab]").forEach((tab) => tab.addEventListener("click", () => {
    drawingChosen = true;
    showDrawing(tab.dataset.drawingTab);
  }));
  root.addEventListener("room:show-drawing", (event) => {
    drawingChosen = true;
    showDrawing(event.detail);
  });

  // Until someone picks: the Mermaid diagram shows while it is all there is, the board otherwise.
  const room = window.SevenstepsRoom;
  function followWork() {
    if (drawingChosen || !room) return;
    const diagram = room.doc("diagram").getText("diagram").toString().trim();
    const drawn = Array.from(room.doc("board").getMap("elements").values()).some((e) => e && !e.isDeleted);
    showDrawing(diagram && !drawn ? "diagram" : "board");
  }
  if (room) {
    room.doc("diagram").on("update", followWork);
    room.doc("board").on("update", followWork);
  }

  // --- The prompt folds once the interview runs --------------------------------------------------

  const prompt = root.querySelector("[data-prompt]");
  let folded = false;
  function fold(phase) {
    if (!prompt || folded || !phase || phase === "scheduled") return;
    prompt.open = false;
    folded = true;
  }
  root.addEventListener("room:message", (event) => {
    const message = event.detail;
    if (message.type === "snapshot" || message.type === "state") fold(message.payload.phase);
  });
  if (window.SevenstepsRoom) fold(window.SevenstepsRoom.phase());
})();
