/* The board in the room: loads the board bundle (4 MB: after the room has connected, so the
 * notes and the chat never wait for it), mounts the shared board (static/js/board.js) on the
 * room's `board` document, makes it drawable or read-only as the server's list of
 * actions says (can("board")), turns the candidate's Mermaid diagram into board elements, and
 * sends a PNG of the board to the server for the report (a while after the last change, and when
 * the interview ends).
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  const room = window.SevenstepsRoom;
  if (!root || !room || !window.SevenstepsSharedBoard) return;
  const container = root.querySelector("[data-board]");
  if (!container) return;
  let bundle = null;
  const IMAGE_URL = root.dataset.boardImage;
  const UPLOAD_AFTER = 8000; // ms after the last change before the board's image is sent
  const toBoard = root.querySelector("[data-diagram-to-board]");
  let board = null;
  let uploadTimer = null;
  let uploadedVersion = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (err) {
      return "";
    }
  }

  /** The board bundle, loaded once (a script from this site: the CSP allows it). */
  function loadBundle() {
    if (!bundle) {
      bundle = new Promise((resolve, reject) => {
        if (window.SevenstepsBoard) return resolve();
        const script = document.createElement("script");
        script.src = container.dataset.bundle;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error("the board could not be loaded"));
        document.head.appendChild(script);
      });
    }
    return bundle;
  }

  function mount() {
    container.replaceChildren();
    board = window.SevenstepsSharedBoard.attach(container, room.doc("board"), { editable: room.can("board") });
    board.ready.then(() => { root.dataset.boardState = "ready"; });
    room.doc("board").on("update", () => {
      clearTimeout(uploadTimer);
      uploadTimer = setTimeout(uploadImage, UPLOAD_AFTER);
    });
  }

  /** Sends the board as a PNG if it changed since the last one sent; resolves when done. */
  async function uploadImage() {
    clearTimeout(uploadTimer);
    if (!board || !IMAGE_URL || !board.hasDrawing()) return;
    const version = window.SevenstepsBoard.sceneVersion(board.handle.getSceneElementsIncludingDeleted());
    if (version === uploadedVersion) return;
    const blob = await board.exportPng();
    if (!blob) return;
    const form = new FormData();
    form.append("image", blob, "board.png");
    const response = await fetch(IMAGE_URL, {
      method: "POST",
      body: form,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    if (response.ok) {
      uploadedVersion = version;
      root.dataset.boardUploaded = String(version);
    }
  }

  function diagramText() {
    return room.doc("diagram").getText("diagram").toString();
  }

  function renderButton() {
    if (!toBoard) return;
    toBoard.disabled = !board || !room.can("board") || !diagramText().trim();
  }

  if (toBoard) {
    room.doc("diagram").on("update", renderButton);
    toBoard.addEventListener("click", async () => {
      const status = root.querySelector("[data-board-status]");
      try {
        await loadBundle();
        const elements = await window.SevenstepsBoard.fromMermaid(diagramText());
        await board.ready;
        board.addElements(elements);
        root.dispatchEvent(new CustomEvent("room:show-drawing", { detail: "board" }));
        if (status) status.textContent = "";
      } catch (err) {
        const message = "That diagram could not be put on the board: " + (err && err.message ? err.message : err);
        if (status) status.textContent = message;
      }
    });
  }

  let loading = false;
  function follow() {
    if (board) board.setEditable(room.can("board"));
    else if (!loading) {
      loading = true;
      loadBundle().then(mount, () => {
        container.replaceChildren();
        const note = document.createElement("p");
        note.className = "muted board-loading";
        note.textContent = "The board could not be loaded. Reload the page to try again.";
        container.appendChild(note);
      }).then(renderButton);
    }
    renderButton();
  }
  root.addEventListener("room:message", (event) => {
    const type = event.detail.type;
    if (type === "snapshot" || type === "state") follow();
  });
  if (room.phase()) follow(); // the first snapshot came before this script ran

  room.beforeLeaving(() => uploadImage().catch(() => null));
  window.addEventListener("pagehide", () => { if (uploadTimer) uploadImage().catch(() => null); });
  window.SevenstepsRoomBoard = { upload: uploadImage, get board() { return board; } };
})();
