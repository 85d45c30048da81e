/* The interview room. Speaks the protocol in interviews/protocol.py (docs/protocol.md).
 *
 * The server decides what each role sees and may do; this script renders it and asks can(action)
 * of the list the server sends. User text is always inserted as text; the only HTML inserted is
 * what the server rendered from our templates (the interviewer's panel, solo reference notes).
 *
 * Shared documents (notes per step, the diagram, the interviewer's private notes) are Yjs
 * documents (window.SevenstepsYjs, static/vendor/yjs-*): every edit is a small update sent at
 * most every SEND_EVERY ms while typing and applied at once on the other side. Each document is
 * also kept in this browser (IndexedDB) until the server confirms its updates are durable
 * (`ack`), and after a reconnect or a reload the browser sends whatever the server lacks.
 * Chat messages, hints and scores wait in an outbox (localStorage) until acknowledged, and are
 * sent again with the same id after a reconnect: the server recognises a resend.
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  if (!root) return;

  const YJS = window.SevenstepsYjs;
  const Y = YJS.Y;
  const ROLE = root.dataset.role;
  const SOLO = root.dataset.kind === "solo";
  const INTERVIEW = root.dataset.interview;
  const STORE = "sevensteps:" + INTERVIEW + ":";
  const SEND_EVERY = 80; // ms between two updates of one document while typing
  const PAUSE_TO_FOLLOW = 2000; // ms of not typing before the notes follow a step move
  const REMOTE = "remote"; // the origin of updates that came from the server
  const $ = (sel, el) => (el || root).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || root).querySelectorAll(sel));

  let socket = null;
  let retries = 0;
  let offsetMs = 0; // server clock minus ours
  // What the server says: phase and label, the actions this socket may take now and why not
  // the others, step_index, clock, steps (with their budget marks), deliveries, presence.
  let state = null;
  let selectedStep = null;
  let followCurrent = true;
  let lastTypedAt = 0;
  let heldOnStep = null; // the step the candidate's editor stays on after a move, while typing
  const docs = {}; // name -> {ydoc, idb, ready, pending: [], timer, unacked: Map(id -> true)}
  const scores = {}; // criterion key -> the interviewer's latest score (interviewer only)
  const seenChat = new Set();
  const outbox = loadOutbox(); // id -> message, for chat, hints and scores
  const pendingEvidence = new Set(); // evidence typed and not yet sent (waiting for a pause)
  root.dataset.outbox = String(outbox.size); // what waits for the server (tests read it)

  // --- Small helpers ---------------------------------------------------------------------

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function newId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function banner(text, kind, extra) {
    const box = $("[data-banner]");
    box.replaceChildren(el("span", {}, text));
    if (extra) box.appendChild(extra);
    const close = el("button", { type: "button", class: "ghost small" }, "Dismiss");
    close.addEventListener("click", () => { box.hidden = true; });
    box.appendChild(close);
    box.className = "notice " + (kind || "");
    box.hidden = false;
  }

  function can(action) {
    return !!state && state.actions.has(action);
  }

  function stepKey(index) {
    return state && state.steps[index] ? state.steps[index].key : null;
  }

  function stepTitle(key) {
    const step = state && state.steps.find((s) => s.key === key);
    return step ? step.title : key;
  }

  // --- The socket ------------------------------------------------------------------------

  function setConnection(text, kind) {
    const badge = $("[data-connection]");
    badge.textContent = text;
    badge.dataset.state = kind;
  }

  const CLOSED_FOR_GOOD = {
    4401: "You were logged out. Log in again and reopen the interview.",
    4403: "This page's address does not match the site's; open the interview from the site itself.",
    4404: "You are not a participant of this interview, or it no longer exists.",
  };

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + root.dataset.socket);
    setConnection("Connecting…", "connecting");
    socket.addEventListener("open", () => {
      retries = 0;
      setConnection("Syncing…", "connecting"); // "Connected" once the snapshot is in
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      const handler = handlers[message.type];
      if (handler) handler(message.payload || {}, message);
      // Extensions (static/js/room-scoring.js) hear every message after this script.
      root.dispatchEvent(new CustomEvent("room:message", { detail: message }));
    });
    socket.addEventListener("close", (event) => {
      if (CLOSED_FOR_GOOD[event.code]) {
        setConnection("Not connected", "offline");
        banner(CLOSED_FOR_GOOD[event.code], "bad");
        return;
      }
      setConnection("Reconnecting… (your work is kept on this device)", "offline");
      renderSaveStates();
      const delay = Math.min(500 * 2 ** retries, 8000) + Math.random() * 300;
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  function send(type, payload, id) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify({ type: type, id: id || newId(), payload: payload || {} }));
    return true;
  }

  setInterval(() => send("ping"), 20000);

  // --- The outbox: chat, hints, scores until the server says they are durable ------------------

  function loadOutbox() {
    try {
      return new Map(Object.entries(JSON.parse(localStorage.getItem(STORE + "outbox") || "{}")));
    } catch (err) {
      return new Map();
    }
  }

  function saveOutbox() {
    localStorage.setItem(STORE + "outbox", JSON.stringify(Object.fromEntries(outbox)));
    root.dataset.outbox = String(outbox.size + pendingEvidence.size);
  }

  function sendDurable(type, payload, replaceKey) {
    if (replaceKey) {
      // A newer score of the same criterion replaces one still waiting.
      for (const [id, item] of outbox) if (item.key === replaceKey) outbox.delete(id);
    }
    const id = newId();
    outbox.set(id, { type: type, payload: payload, key: replaceKey || null });
    saveOutbox();
    return send(type, payload, id);
  }

  function resendOutbox() {
    for (const [id, item] of outbox) send(item.type, item.payload, id);
  }

  // What extensions may use: the outbox (durable, resent after a reconnect), what waits in it,
  // a message sent once or not at all (false while offline: the call's signals) and the actions
  // the server allows now.
  window.SevenstepsRoom = {
    sendDurable: sendDurable,
    send: send,
    pending: (type) => Array.from(outbox.values()).filter((item) => item.type === type).map((item) => item.payload),
    can: can,
    // A shared document (notes, diagram, board, private) as a Y.Doc, synced by this script.
    doc: (name) => (docs[name] || setupDoc(name)).ydoc,
    phase: () => (state ? state.phase : null),
    beforeLeaving: (task) => leaveTasks.push(task),
  };

  // --- Shared documents --------------------------------------------------------------------------

  function setupDoc(name) {
    const ydoc = new Y.Doc();
    const doc = { name: name, ydoc: ydoc, pending: [], timer: null, unacked: new Set(), ready: null };
    const idb = new YJS.IndexeddbPersistence(STORE + name, ydoc);
    doc.idb = idb;
    doc.ready = idb.whenSynced.catch(() => null);
    ydoc.on("update", (update, origin) => {
      if (origin === REMOTE || origin === idb) return;
      doc.pending.push(update);
      if (!doc.timer) doc.timer = setTimeout(() => flushDoc(doc), SEND_EVERY);
      renderSaveStates();
    });
    docs[name] = doc;
    return doc;
  }

  function writable(name) {
    return can({ notes: "notes", diagram: "diagram", private: "private_note", board: "board" }[name]);
  }

  function flushDoc(doc) {
    doc.timer = null;
    if (!doc.pending.length) return;
    const update = doc.pending.length === 1 ? doc.pending[0] : Y.mergeUpdates(doc.pending);
    const id = newId();
    if (send("doc.update", { doc: doc.name, update: YJS.toBase64(update) }, id)) {
      doc.pending = [];
      doc.unacked.add(id);
    }
    // Offline: the updates stay pending (and in IndexedDB); the reconnect sends what is missing.
    renderSaveStates();
  }

  function applyServerState(doc, base64) {
    const update = YJS.fromBase64(base64);
    Y.applyUpdate(doc.ydoc, update, REMOTE);
    return Y.encodeStateVectorFromUpdate(update);
  }

  async function reconcile(doc, serverVector) {
    // What this browser has that the server's copy lacks (typing not yet confirmed before a
    // drop or a reload) goes up as one update; the server ignores what it has already.
    await doc.ready;
    doc.pending = [];
    doc.unacked.clear();
    if (!writable(doc.name)) return;
    const missing = Y.encodeStateAsUpdate(doc.ydoc, serverVector);
    if (missing.length > 2) {
      const id = newId();
      if (send("doc.update", { doc: doc.name, update: YJS.toBase64(missing) }, id)) doc.unacked.add(id);
    }
    renderSaveStates();
  }

  function saveLabel(names) {
    const list = names.filter(writable).map((n) => docs[n]).filter(Boolean);
    if (!list.length) return "";
    const waiting = list.some((d) => d.pending.length || d.unacked.size);
    if (!socket || socket.readyState !== WebSocket.OPEN) return waiting ? "Offline: kept on this device" : "";
    return waiting ? "Saving…" : "Saved";
  }

  function renderSaveStates() {
    $$("[data-save-state]").forEach((box) => {
      box.textContent = saveLabel([box.dataset.saveState]);
    });
  }

  const textBindings = {}; // editor name -> binding

  function bindEditor(key, ytext, textarea) {
    if (textBindings[key]) textBindings[key].destroy();
    textBindings[key] = window.SevenstepsTextarea.bind(ytext, textarea, { undo: true });
  }

  // --- Incoming messages -------------------------------------------------------------------

  const handlers = {
    snapshot(p) {
      setConnection("Connected", "online");
      offsetMs = Date.parse(p.server_now) - Date.now();
      state = {
        phase: p.phase,
        label: p.label,
        actions: new Set(p.actions),
        why_not: p.why_not,
        step_index: p.interview.step_index,
        clock: p.clock,
        steps: p.steps,
        deliveries: p.deliveries,
        presence: p.presence,
        revealed: p.interview.revealed_steps || [],
      };
      if (followCurrent || !selectedStep) selectedStep = stepKey(state.step_index);
      p.docs.forEach((item) => {
        const doc = docs[item.name] || setupDoc(item.name);
        const vector = applyServerState(doc, item.update);
        reconcile(doc, vector);
      });
      bindEditors();
      $$("[data-chat-log]").forEach((log) => log.replaceChildren());
      seenChat.clear();
      p.chat.forEach(addChat);
      const list = $("[data-deliveries]");
      if (list) list.replaceChildren();
      p.deliveries.forEach((d) => addDelivery(d, false));
      (p.scores || []).forEach((score) => { if (!staleScore(score)) scores[score.criterion] = score; });
      if (p.panel && p.panel.html) setPanel(p.panel.html);
      const refs = $("[data-references]");
      if (refs) {
        refs.replaceChildren();
        (p.references || []).forEach(addReference);
      }
      resendOutbox();
      renderAll();
    },
    state(p) {
      offsetMs = Date.parse(p.server_now) - Date.now();
      const before = stepKey(state.step_index);
      Object.assign(state, {
        phase: p.phase,
        label: p.label,
        actions: new Set(p.actions),
        why_not: p.why_not,
        step_index: p.step_index,
        clock: p.clock,
      });
      const now = stepKey(state.step_index);
      if (now !== before && followCurrent) {
        const typing = ROLE === "candidate" && Date.now() - lastTypedAt < PAUSE_TO_FOLLOW && selectedStep === before;
        if (typing) holdOn(before, now);
        else selectedStep = now;
      }
      renderAll();
    },
    presence(p) {
      state.presence = p.participants;
      renderPresence();
    },
    "doc.update"(p) {
      const doc = docs[p.doc];
      if (doc) Y.applyUpdate(doc.ydoc, YJS.fromBase64(p.update), REMOTE);
    },
    "doc.sync"(p) {
      const doc = docs[p.doc];
      if (!doc) return;
      Y.applyUpdate(doc.ydoc, YJS.fromBase64(p.update), REMOTE);
      reconcile(doc, YJS.fromBase64(p.sv));
    },
    ack(p) {
      p.ids.forEach((id) => {
        Object.values(docs).forEach((doc) => doc.unacked.delete(id));
        if (outbox.delete(id)) saveOutbox();
      });
      renderSaveStates();
      markSent();
    },
    "chat.message": addChat,
    delivery(p) {
      heldHints.delete(hintKey(p.step, p.kind, p.index));
      if (state.deliveries.some((d) => d.step === p.step && d.kind === p.kind && d.index === p.index)) return;
      state.deliveries.push(p);
      addDelivery(p, true);
      markSent();
    },
    "hint.held"(p) {
      const key = hintKey(p.step, p.kind, p.index);
      if (!heldHints.has(key)) heldHints.set(key, Date.now() + p.undo_ms);
      markSent();
    },
    "hint.withdrawn"(p) {
      heldHints.delete(hintKey(p.step, p.kind, p.index));
      dropHintSends(p.step, p.kind, p.index);
      markSent();
      banner((p.kind === "hint" ? "Hint" : "Curveball") + " taken back: the candidate did not see it.", "");
    },
    panel(p) {
      setPanel(p.html);
    },
    "score.recorded": showScore,
    reference: addReference,
    ended(p) {
      Object.values(docs).forEach(flushDoc);
      leaveWhenSaved(p.redirect);
    },
    pong() {},
    error(p) {
      if (p.code === "stale") return; // the state message that follows shows the truth
      markSent();
      banner(p.message, p.code === "rate_limited" ? "" : "bad");
    },
  };

  const leaveTasks = []; // functions returning promises, run before leaving (the board's image)

  function leaveWhenSaved(url) {
    // Typing in flight when the interview ended is still accepted for a few seconds: wait for
    // the server to confirm it (at most 3 s), then forget this browser's copies.
    const started = Date.now();
    let tasksDone = false;
    Promise.allSettled(leaveTasks.map((task) => task())).then(() => { tasksDone = true; });
    (function wait() {
      const waiting = Object.values(docs).some((d) => d.pending.length || d.unacked.size);
      if ((waiting || !tasksDone) && Date.now() - started < 5000) return setTimeout(wait, 100);
      if (!waiting) {
        Object.keys(docs).forEach((name) => YJS.clearDocument(STORE + name));
        localStorage.removeItem(STORE + "outbox");
      }
      window.location.href = url;
    })();
  }

  // --- Step moves don't cut sentences ------------------------------------------------------------

  let holdTimer = null;
  function holdOn(typingStep, currentStep) {
    heldOnStep = typingStep;
    const box = $("[data-step-notice]");
    if (box) {
      box.replaceChildren(
        el("span", {}, "Your interviewer moved on to " + stepTitle(currentStep) + ". Finish your thought; your notes follow when you pause. "),
      );
      const go = el("button", { type: "button", class: "small secondary" }, "Go now");
      go.addEventListener("click", () => releaseHold());
      box.appendChild(go);
      box.hidden = false;
    }
    clearInterval(holdTimer);
    holdTimer = setInterval(() => {
      if (Date.now() - lastTypedAt >= PAUSE_TO_FOLLOW) releaseHold();
    }, 250);
  }

  function releaseHold() {
    clearInterval(holdTimer);
    heldOnStep = null;
    const box = $("[data-step-notice]");
    if (box) box.hidden = true;
    selectedStep = stepKey(state.step_index);
    followCurrent = true;
    renderAll();
  }

  // --- Rendering -----------------------------------------------------------------------------

  function renderAll() {
    if (!state) return;
    renderStatus();
    renderRail();
    renderTabs();
    bindEditors();
    renderEditors();
    renderPresence();
    renderSaveStates();
    markSent();
  }

  function stepSeconds(key) {
    const clock = state.clock;
    let seconds = clock.elapsed[key] || 0;
    if (clock.running_since && key === stepKey(state.step_index)) {
      seconds += (Date.now() + offsetMs - Date.parse(clock.running_since)) / 1000;
    }
    return seconds;
  }

  function renderStatus() {
    const pill = $("[data-status-pill]");
    pill.textContent = state.label;
    pill.dataset.status = state.phase;
    $$("[data-action]").forEach((button) => { button.hidden = !can(button.dataset.needs); });
    $$("[data-move]").forEach((button) => {
      const target = state.step_index + Number(button.dataset.move);
      button.disabled = !can("move") || target < 0 || target >= state.steps.length;
    });
    const reveal = $("[data-reveal]");
    if (reveal) {
      const written = notesText(selectedStep).trim().length > 0;
      const done = state.revealed.includes(selectedStep);
      reveal.disabled = !written || done || !can("reveal");
      reveal.textContent = done ? "Reference shown below" : written ? "Reveal the reference for " + stepTitle(selectedStep) : "Write your notes for this step first";
    }
  }

  function renderRail() {
    let total = 0;
    $$("[data-step-index]").forEach((item) => {
      const index = Number(item.dataset.stepIndex);
      const step = state.steps[index];
      const seconds = stepSeconds(step.key);
      total += seconds;
      item.classList.toggle("current", index === state.step_index);
      item.classList.toggle("done", index < state.step_index);
      // The marks come from the server (flow.budget_marks): "near" from near_at, "over" past over_at.
      item.dataset.budget = seconds > step.over_at ? "over" : seconds >= step.near_at ? "near" : "ok";
      $("[data-step-time]", item).textContent = fmt(seconds);
      $("[data-step-bar]", item).style.width = Math.min(100, (100 * seconds) / step.over_at) + "%";
      if (index === state.step_index) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    });
    $("[data-total-clock]").textContent = fmt(total);
  }

  function notesText(key) {
    return docs.notes && key ? docs.notes.ydoc.getText("notes:" + key).toString() : "";
  }

  function renderTabs() {
    $$("[data-note-tab]").forEach((tab) => {
      const key = tab.dataset.noteTab;
      tab.setAttribute("aria-selected", String(key === selectedStep));
      tab.classList.toggle("current-step", key === stepKey(state.step_index));
      tab.classList.toggle("has-notes", !!notesText(key).trim());
    });
    // The step's purpose and what it should cover, for the step whose notes are shown.
    $$("[data-step-brief]").forEach((brief) => { brief.hidden = brief.dataset.stepBrief !== selectedStep; });
  }

  let boundStep = null;
  function bindEditors() {
    if (!state) return;
    const notes = $("[data-notes-editor]");
    if (notes && docs.notes && boundStep !== selectedStep) {
      bindEditor("notes", docs.notes.ydoc.getText("notes:" + selectedStep), notes);
      boundStep = selectedStep;
    }
    const diagram = $("[data-diagram-editor]");
    if (diagram && docs.diagram && !textBindings.diagram) {
      bindEditor("diagram", docs.diagram.ydoc.getText("diagram"), diagram);
    }
    const privateNotes = $("[data-private-editor]");
    if (privateNotes && docs.private && !textBindings.private) {
      bindEditor("private", docs.private.ydoc.getText("private"), privateNotes);
    }
    observeViews();
  }

  function renderEditors() {
    const notes = $("[data-notes-editor]");
    if (notes) {
      notes.disabled = !can("notes");
      notes.placeholder = can("notes")
        ? "Notes for " + stepTitle(selectedStep) + ": requirements, assumptions, decisions and their trade-offs."
        : state.why_not.notes || "";
    }
    const diagram = $("[data-diagram-editor]");
    if (diagram) diagram.disabled = !can("diagram");
    const privateNotes = $("[data-private-editor]");
    if (privateNotes) privateNotes.disabled = !can("private_note");
    renderNoteView();
    renderDiagram();
  }

  let observing = false;
  function observeViews() {
    if (observing || !docs.notes || !docs.diagram) return;
    observing = true;
    docs.notes.ydoc.on("update", () => scheduleView());
    docs.diagram.ydoc.on("update", () => scheduleView());
  }

  let viewFrame = null;
  function scheduleView() {
    if (viewFrame) return;
    viewFrame = requestAnimationFrame(() => {
      viewFrame = null;
      renderNoteView();
      renderTabs();
      renderDiagram();
      renderStatus();
    });
  }

  function renderNoteView() {
    const view = $("[data-notes-view]");
    if (!view) return;
    const text = notesText(selectedStep);
    let box = view.querySelector(".note-text");
    if (text.trim()) {
      if (!box) {
        box = el("div", { class: "note-text" });
        view.replaceChildren(box);
      }
      if (box.textContent !== text) {
        const atBottom = view.scrollHeight - view.scrollTop - view.clientHeight < 24;
        box.textContent = text;
        if (atBottom) view.scrollTop = view.scrollHeight;
      }
    } else {
      view.replaceChildren(el("p", { class: "muted" }, "Nothing written for " + stepTitle(selectedStep) + " yet."));
    }
  }

  let diagramTimer = null;
  let diagramText = null;
  function renderDiagram() {
    if (!docs.diagram) return;
    const text = docs.diagram.ydoc.getText("diagram").toString();
    const source = $("[data-diagram-source]");
    if (source) source.textContent = text;
    if (text === diagramText) return;
    diagramText = text;
    clearTimeout(diagramTimer);
    diagramTimer = setTimeout(() => {
      const preview = $("[data-diagram-preview]");
      if (!text.trim()) {
        preview.replaceChildren(el("p", { class: "muted" }, "The diagram appears here as it is written (Mermaid syntax)."));
        preview.classList.remove("is-rendered");
        return;
      }
      // Mid-line, the text rarely parses: the last drawing stays, the error shows beside it.
      if (window.SevenstepsDiagram) window.SevenstepsDiagram.render(preview, text, { keepLast: true });
      else preview.replaceChildren(el("pre", {}, text));
    }, 350);
  }

  function renderPresence() {
    const list = $("[data-presence]");
    list.replaceChildren();
    const roles = SOLO ? ["candidate"] : ["interviewer", "candidate"];
    roles.forEach((role) => {
      const person = state.presence.find((p) => p.role === role);
      const item = el("li", { class: "person " + (person && person.online ? "online" : "offline") });
      item.appendChild(el("span", { class: "dot", "aria-hidden": "true" }));
      const label = role === "interviewer" ? "Interviewer" : "Candidate";
      if (!person) item.appendChild(el("span", {}, label + ": waiting to join"));
      else item.appendChild(el("span", {}, person.name + " · " + label + (person.online ? "" : " (offline)")));
      list.appendChild(item);
    });
    const invite = $("[data-invite]");
    if (invite && state.presence.length >= 2) invite.hidden = true;
    const peer = state.presence.find((p) => p.role !== ROLE);
    root.classList.toggle("peer-offline", !SOLO && !!peer && !peer.online);
  }

  function addChat(p) {
    if (seenChat.has(p.id)) return;
    seenChat.add(p.id);
    const log = $("[data-chat-log]");
    if (!log) return;
    const item = el("li", { class: "chat-item " + (p.role === ROLE ? "mine" : "theirs") });
    const meta = el("div", { class: "chat-meta" });
    meta.appendChild(el("strong", {}, p.author));
    meta.appendChild(el("span", { class: "muted" }, " · " + timeOf(p.at)));
    item.appendChild(meta);
    item.appendChild(el("div", { class: "chat-text" }, p.text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function addDelivery(p, fresh) {
    const list = $("[data-deliveries]");
    if (!list) return;
    const item = el("li", { class: "delivery " + p.kind + (fresh ? " fresh" : "") });
    const head = el("div", { class: "row between" });
    head.appendChild(el("span", { class: "badge " + (p.kind === "hint" ? "accent" : "warn") }, p.kind === "hint" ? "Hint" : "Change of requirements"));
    head.appendChild(el("span", { class: "tiny muted" }, stepTitle(p.step) + " · " + timeOf(p.sent_at)));
    item.appendChild(head);
    item.appendChild(el("p", {}, p.text));
    list.prepend(item);
    const empty = $("[data-deliveries-empty]");
    if (empty) empty.hidden = true;
  }

  function addReference(p) {
    const box = $("[data-references]");
    if (!box) return;
    if (!state.revealed.includes(p.step)) state.revealed.push(p.step);
    const section = el("section", { class: "reference", "data-reference": p.step });
    section.appendChild(el("h4", {}, stepTitle(p.step)));
    const body = el("div");
    body.innerHTML = p.html; // rendered and sanitised by the server from our template
    section.appendChild(body);
    box.querySelectorAll('[data-reference="' + p.step + '"]').forEach((old) => old.remove());
    box.prepend(section);
    renderStatus();
  }

  let sideTab = "guide";
  function showSideTab(name) {
    sideTab = name;
    $$("[data-side-tab]").forEach((tab) => tab.setAttribute("aria-selected", String(tab.dataset.sideTab === name)));
    $$("[data-panel-tab]").forEach((section) => { section.hidden = section.dataset.panelTab !== name; });
  }
  $$("[data-side-tab]").forEach((tab) => tab.addEventListener("click", () => showSideTab(tab.dataset.sideTab)));

  function countScores() {
    const boxes = $$("[data-panel] [data-criterion]");
    const done = boxes.filter((box) => box.dataset.level || box.dataset.notObserved).length;
    const count = $("[data-score-count]");
    if (count) count.textContent = boxes.length ? done + "/" + boxes.length : "";
  }

  function setPanel(html) {
    const panel = $("[data-panel]");
    if (!panel) return;
    panel.innerHTML = html; // rendered by the server from interviews/_panel.html
    Object.values(scores).forEach(showScore); // the panel carries no state of the interview
    showSideTab(sideTab);
    countScores();
    markSent();
    root.dispatchEvent(new CustomEvent("room:panel"));
  }
  if ($("[data-panel]")) { showSideTab("guide"); countScores(); }

  function pendingHint(step, kind, index) {
    for (const item of outbox.values()) {
      const p = item.payload;
      if (item.type === "hint.send" && p.step === step && p.kind === kind && p.index === index) return true;
    }
    return false;
  }

  // Hints and curveballs in their undo window (the server holds them: hint.held), by key, with
  // when the window closes. Undo sends hint.undo; the server answers hint.withdrawn or too_late.
  const heldHints = new Map();
  let heldTimer = null;

  function hintKey(step, kind, index) {
    return step + ":" + kind + ":" + index;
  }

  function dropHintSends(step, kind, index) {
    for (const [id, item] of outbox) {
      const p = item.payload;
      if (item.type === "hint.send" && p.step === step && p.kind === kind && p.index === index) outbox.delete(id);
    }
    saveOutbox();
  }

  function markSent() {
    if (!state) return;
    $$("[data-panel] [data-kind][data-index]").forEach((item) => {
      const index = Number(item.dataset.index);
      const sent = state.deliveries.some((d) => d.step === item.dataset.step && d.kind === item.dataset.kind && d.index === index);
      item.classList.toggle("sent", sent);
      const button = $("[data-send-hint]", item);
      if (!button) return;
      const deadline = heldHints.get(hintKey(item.dataset.step, item.dataset.kind, index));
      const left = !sent && deadline ? Math.max(0, Math.ceil((deadline - Date.now()) / 1000)) : 0;
      const waiting = !sent && pendingHint(item.dataset.step, item.dataset.kind, index);
      button.disabled = sent || waiting || !!deadline || !can("hint");
      button.textContent = sent ? "Sent ✓" : left ? "Sent — reaches them in " + left + " s" : waiting || deadline ? "Sending…" : "Send to candidate";
      let undo = $("[data-undo-hint]", item);
      if (!undo) {
        undo = el("button", { type: "button", class: "small undo-hint", "data-undo-hint": "" }, "Undo");
        button.after(undo);
      }
      undo.hidden = !left;
    });
    clearInterval(heldTimer);
    heldTimer = heldHints.size ? setInterval(markSent, 500) : null;
  }

  const editingEvidence = new Set(); // criteria whose evidence is being typed and not yet sent

  // Per criterion, the revision of the last score this browser sent. An echo carrying an
  // older revision is a late echo of an earlier send: it never overwrites the newer choice.
  const sentRev = {};

  function staleScore(p) {
    const mine = sentRev[p.criterion];
    return !!mine && (p.rev || 0) < mine;
  }

  function showScore(p) {
    if (staleScore(p)) return;
    scores[p.criterion] = p;
    const box = $('[data-panel] [data-criterion="' + p.criterion + '"]');
    if (!box) return;
    box.dataset.level = p.level === null ? "" : String(p.level);
    box.dataset.notObserved = p.not_observed ? "1" : "";
    $$("[data-score-level]", box).forEach((button) => {
      const value = button.dataset.scoreLevel;
      const on = value === "not_observed" ? p.not_observed : Number(value) === p.level;
      button.classList.toggle("selected", on);
      button.setAttribute("aria-pressed", String(on));
    });
    const evidence = $("[data-score-evidence]", box);
    // An echo never overwrites evidence being typed here.
    if (evidence && !editingEvidence.has(p.criterion) && document.activeElement !== evidence) {
      evidence.value = p.evidence;
    }
    countScores();
  }

  // --- Clicks and typing ---------------------------------------------------------------------

  $$("[data-action]").forEach((button) => {
    button.addEventListener("click", () => {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      send(button.dataset.action);
    });
  });

  $$("[data-move]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = state.step_index + Number(button.dataset.move);
      if (target < 0 || target >= state.steps.length) return;
      followCurrent = true;
      send("step.move", { from: stepKey(state.step_index), to: stepKey(target) });
    });
  });

  $$("[data-note-tab]").forEach((tab) => {
    tab.addEventListener("click", () => {
      if (!state) return;
      if (heldOnStep) releaseHold();
      selectedStep = tab.dataset.noteTab;
      followCurrent = selectedStep === stepKey(state.step_index);
      renderAll();
    });
  });

  ["[data-notes-editor]", "[data-diagram-editor]"].forEach((selector) => {
    const editor = $(selector);
    if (editor) editor.addEventListener("input", () => { lastTypedAt = Date.now(); });
  });

  const panel = $("[data-panel]");
  if (panel) {
    panel.addEventListener("click", (event) => {
      const sendButton = event.target.closest("[data-send-hint]");
      if (sendButton) {
        const item = sendButton.closest("[data-kind][data-index]");
        const curveball = item.dataset.kind === "curveball";
        if (curveball && !window.confirm("Send this curveball? It changes the candidate's requirements mid-interview.")) return;
        sendDurable("hint.send", { step: item.dataset.step, kind: item.dataset.kind, index: Number(item.dataset.index) });
        markSent();
        return;
      }
      const undoButton = event.target.closest("[data-undo-hint]");
      if (undoButton) {
        const item = undoButton.closest("[data-kind][data-index]");
        const p = { step: item.dataset.step, kind: item.dataset.kind, index: Number(item.dataset.index) };
        dropHintSends(p.step, p.kind, p.index); // never resent after a reconnect
        heldHints.delete(hintKey(p.step, p.kind, p.index));
        sendDurable("hint.undo", p);
        markSent();
        return;
      }
      const levelButton = event.target.closest("[data-score-level]");
      if (levelButton) {
        const box = levelButton.closest("[data-criterion]");
        const value = levelButton.dataset.scoreLevel;
        box.dataset.level = value === "not_observed" ? "" : value;
        box.dataset.notObserved = value === "not_observed" ? "1" : "";
        sendScore(box);
      }
    });
    const timers = {};
    panel.addEventListener("input", (event) => {
      const evidence = event.target.closest("[data-score-evidence]");
      if (!evidence) return;
      const box = evidence.closest("[data-criterion]");
      editingEvidence.add(box.dataset.criterion);
      pendingEvidence.add(box.dataset.criterion);
      saveOutbox();
      clearTimeout(timers[box.dataset.criterion]);
      timers[box.dataset.criterion] = setTimeout(() => sendScore(box), 500);
    });
  }

  function sendScore(box) {
    const level = box.dataset.level ? Number(box.dataset.level) : null;
    const criterion = box.dataset.criterion;
    const rev = Math.max(Date.now(), (sentRev[criterion] || 0) + 1);
    sentRev[criterion] = rev;
    const score = {
      criterion: criterion,
      level: level,
      not_observed: box.dataset.notObserved === "1",
      evidence: ($("[data-score-evidence]", box) || {}).value || "",
      rev: rev,
    };
    scores[criterion] = score;
    sendDurable("score.record", score, "score:" + criterion);
    editingEvidence.delete(criterion);
    pendingEvidence.delete(criterion);
    saveOutbox();
  }

  const chatForm = $("[data-chat-form]");
  if (chatForm) {
    chatForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("[data-chat-input]", chatForm);
      const text = input.value.trim();
      if (!text) return;
      const sent = sendDurable("chat.send", { text: text });
      input.value = "";
      if (!sent) banner("Not connected: your message is kept and goes out when the connection is back.", "");
    });
  }

  const reveal = $("[data-reveal]");
  if (reveal) {
    reveal.addEventListener("click", () => {
      Object.values(docs).forEach(flushDoc);
      send("reference.reveal", { step: selectedStep });
    });
  }

  const copyButton = $("[data-copy-invite]");
  if (copyButton) {
    copyButton.addEventListener("click", () => {
      const input = $("[data-invite-url]");
      input.select();
      const done = () => { copyButton.textContent = "Copied ✓"; };
      if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, () => document.execCommand("copy") && done());
      else if (document.execCommand("copy")) done();
    });
  }

  const abandon = $("[data-abandon]");
  if (abandon) {
    abandon.addEventListener("submit", (event) => {
      if (!window.confirm("Abandon this session? It cannot be resumed.")) event.preventDefault();
    });
  }

  window.addEventListener("beforeunload", () => Object.values(docs).forEach(flushDoc));

  ["notes", "diagram", "board"].forEach(setupDoc);
  if (ROLE === "interviewer") setupDoc("private");
  setInterval(() => { if (state) renderRail(); }, 1000);
  connect();
})();
