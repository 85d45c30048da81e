/* The interviewer's scoring aids in the room, beside static/js/room.js: the concept checklist
 * ticked live, red flags marked observed, and the hint caps shown beside each criterion.
 *
 * It hears every message room.js receives (the "room:message" event) and sends through room.js's
 * outbox (window.SevenstepsRoom), so a mark is kept until the server says it is durable and sent
 * again after a reconnect. The server decides everything: which marks exist, who may make them
 * (the "mark" action), and the cap each step's hints impose (`caps`, from rubrics/scoring.py).
 * This script only shows them.
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  if (!root || root.dataset.role !== "interviewer" || root.dataset.kind === "solo") return;
  const $$ = (sel, el) => Array.from((el || root).querySelectorAll(sel));

  const marks = new Map(); // "kind:key" -> value ("" or absent: not marked)
  let caps = {}; // step key -> {cap, why}

  function room() {
    return window.SevenstepsRoom;
  }

  function canMark() {
    return !!room() && room().can("mark");
  }

  function showMarks() {
    const enabled = canMark();
    $$("[data-panel] [data-mark-kind][data-mark-key]").forEach((item) => {
      const value = marks.get(item.dataset.markKind + ":" + item.dataset.markKey) || "";
      item.dataset.mark = value;
      $$("[data-mark-value]", item).forEach((button) => {
        const on = button.dataset.markValue === value;
        button.classList.toggle("selected", on);
        button.setAttribute("aria-pressed", String(on));
        button.disabled = !enabled;
      });
    });
  }

  function showCaps() {
    $$("[data-panel] [data-criterion]").forEach((box) => {
      const note = box.querySelector("[data-cap-note]");
      const cap = caps[box.dataset.criterionStep];
      if (note) {
        note.hidden = !cap;
        note.textContent = cap ? "Hint sent: counts at most " + cap.cap + " (" + cap.why + "). Score what you saw; the app applies the cap." : "";
      }
      $$("[data-score-level]", box).forEach((button) => {
        const level = Number(button.dataset.scoreLevel);
        button.classList.toggle("above-cap", !!cap && level > cap.cap);
      });
    });
  }

  function showAll() {
    showMarks();
    showCaps();
  }

  function remember(payload) {
    marks.set(payload.kind + ":" + payload.key, payload.value);
  }

  const handlers = {
    snapshot(p) {
      root.dataset.targetLevel = p.interview.target_level;
      marks.clear();
      (p.marks || []).forEach(remember);
      // Marks still waiting in the outbox are this browser's latest word.
      if (room()) room().pending("mark.record").forEach(remember);
      caps = p.caps || {};
      showAll();
    },
    state() {
      showMarks();
    },
    "mark.recorded": remember,
    caps(p) {
      caps = p.caps || {};
      showCaps();
    },
  };

  root.addEventListener("room:message", (event) => {
    const message = event.detail || {};
    const handler = handlers[message.type];
    if (!handler) return;
    handler(message.payload || {});
    if (message.type === "mark.recorded") showMarks();
  });
  root.addEventListener("room:panel", showAll);

  const panel = root.querySelector("[data-panel]");
  if (panel) {
    panel.addEventListener("click", (event) => {
      const button = event.target.closest("[data-mark-value]");
      if (!button || !room()) return;
      const item = button.closest("[data-mark-kind][data-mark-key]");
      if (!item || !canMark()) return;
      const kind = item.dataset.markKind;
      const key = item.dataset.markKey;
      const current = marks.get(kind + ":" + key) || "";
      const value = current === button.dataset.markValue ? "" : button.dataset.markValue;
      remember({ kind: kind, key: key, value: value });
      showMarks();
      room().sendDurable("mark.record", { kind: kind, key: key, value: value }, "mark:" + kind + ":" + key);
    });
  }
})();
