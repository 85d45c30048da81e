/* The timeline's replay: the shared documents as they were written, behind a scrubber.
 *
 * The server sends frames (feedback/timeline.py, `replay`): each is the Yjs updates of one
 * document within a few seconds, with its time since the start. Moving the scrubber to frame i
 * shows every document as it stood after frames 0..i. Forward moves apply the frames between;
 * backward moves start again from a copy kept every CHECKPOINT frames. The board's frames are
 * its elements as the write-behind stored them, a few seconds apart: the board is drawn again at
 * each one, so it plays back as it was built.
 */
(function () {
  "use strict";

  const box = document.querySelector("[data-replay]");
  if (!box || !window.SevenstepsYjs) return;
  const YJS = window.SevenstepsYjs;
  const Y = YJS.Y;
  const CHECKPOINT = 25;
  const $ = (sel) => box.querySelector(sel);
  const scrubber = $("[data-replay-scrubber]");
  const playButton = $("[data-replay-play]");
  let data = null;
  let docs = null;
  let position = -1;
  const checkpoints = new Map(); // frame index -> {name: encoded state}
  let playing = null;

  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function fresh() {
    const made = {};
    data.docs.forEach((name) => { made[name] = new Y.Doc(); });
    return made;
  }

  function applyFrame(index) {
    const frame = data.frames[index];
    Y.applyUpdate(docs[frame.doc], YJS.fromBase64(frame.update));
  }

  function seek(target) {
    if (target < position) {
      let start = -1;
      checkpoints.forEach((_state, index) => { if (index <= target && index > start) start = index; });
      docs = fresh();
      if (start >= 0) {
        const states = checkpoints.get(start);
        Object.keys(states).forEach((name) => Y.applyUpdate(docs[name], states[name]));
      }
      position = start;
    }
    while (position < target) {
      position += 1;
      applyFrame(position);
      if (position % CHECKPOINT === 0 && !checkpoints.has(position)) {
        const states = {};
        Object.keys(docs).forEach((name) => { states[name] = Y.encodeStateAsUpdate(docs[name]); });
        checkpoints.set(position, states);
      }
    }
    render();
  }

  function render() {
    const frame = data.frames[position];
    $("[data-replay-time]").textContent = frame ? fmt(frame.t) + (data.duration ? " / " + fmt(data.duration) : "") : "0:00";
    const notes = $("[data-replay-notes]");
    notes.replaceChildren();
    data.steps.forEach((step) => {
      const text = docs.notes.getText("notes:" + step.key).toString();
      if (!text.trim()) return;
      const section = document.createElement("section");
      const head = document.createElement("h4");
      head.textContent = step.title;
      const body = document.createElement("pre");
      body.className = "event-text";
      body.textContent = text;
      section.append(head, body);
      notes.appendChild(section);
    });
    if (!notes.children.length) {
      const empty = document.createElement("p");
      empty.className = "muted small";
      empty.textContent = "Nothing written yet at this moment.";
      notes.appendChild(empty);
    }
    $("[data-replay-diagram]").textContent = docs.diagram.getText("diagram").toString();
    // The board as it stood at this moment, drawn by static/js/replay-board.js.
    if (docs.board && window.SevenstepsReplayBoard) {
      window.SevenstepsReplayBoard.show(Array.from(docs.board.getMap("elements").values()));
    }
    const privateBox = $("[data-replay-private]");
    if (privateBox && docs.private) privateBox.textContent = docs.private.getText("private").toString();
  }

  function play() {
    if (playing) {
      clearInterval(playing);
      playing = null;
      playButton.textContent = "Play";
      return;
    }
    if (position >= data.frames.length - 1) seek(0);
    playButton.textContent = "Pause";
    playing = setInterval(() => {
      if (position >= data.frames.length - 1) return play();
      seek(position + 1);
      scrubber.value = String(position);
    }, 250);
  }

  fetch(box.dataset.replay, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then((loaded) => {
      data = loaded;
      docs = fresh();
      const status = $("[data-replay-status]");
      if (!data.frames.length) {
        status.textContent = "Nothing was written in this session.";
        render();
        return;
      }
      status.textContent = data.frames.length + " moments";
      scrubber.max = String(data.frames.length - 1);
      scrubber.disabled = false;
      playButton.disabled = false;
      scrubber.addEventListener("input", () => seek(Number(scrubber.value)));
      playButton.addEventListener("click", play);
      seek(data.frames.length - 1);
      scrubber.value = String(position);
    })
    .catch(() => {
      $("[data-replay-status]").textContent = "The replay could not be loaded.";
    });
})();
