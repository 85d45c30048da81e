/* The interview room. Speaks the protocol in interviews/protocol.py (docs/protocol.md).
 *
 * The server decides what each role sees; this script only renders it. User text is always
 * inserted as text; the only HTML inserted is what the server rendered from our templates (the
 * interviewer's panel, solo reference notes).
 *
 * Nothing typed is lost: every edit is kept in localStorage until the server acknowledges its
 * revision; after a reconnect or a refresh the snapshot is reconciled with what is kept here.
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  if (!root) return;

  const ROLE = root.dataset.role;
  const SOLO = root.dataset.kind === "solo";
  const STORE = "sevensteps:" + root.dataset.interview + ":";
  const SAVE_DELAY = 600;
  const $ = (sel, el) => (el || root).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || root).querySelectorAll(sel));

  let socket = null;
  let retries = 0;
  let seq = 0;
  let offsetMs = 0; // server clock minus ours
  // What the server says: phase and its label, the actions this socket may take now (and why
  // not the others), step_index, clock, steps (with their budget marks), deliveries, presence.
  // The rules are kept on the server (interviews/flow.py); this script only asks can(action).
  let state = null;
  let selectedStep = null;
  let followCurrent = true;
  const docs = {}; // slot -> {text, revision, dirty, inflight, sentText, timer}
  const scores = {}; // criterion key -> the interviewer's latest score (interviewer only)

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
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return m + ":" + s;
  }

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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

  function stepKey(index) {
    return state && state.steps[index] ? state.steps[index].key : null;
  }

  function can(action) {
    return !!state && state.actions.has(action);
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

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + root.dataset.socket);
    setConnection("Connecting…", "connecting");
    socket.addEventListener("open", () => {
      retries = 0;
      setConnection("Connected", "online");
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      handle(message);
    });
    socket.addEventListener("close", (event) => {
      Object.values(docs).forEach((doc) => { doc.inflight = false; });
      if (event.code === 4401 || event.code === 4404) {
        setConnection("Not allowed", "offline");
        banner("You are not a participant of this interview, or you were logged out.", "bad");
        return;
      }
      setConnection("Reconnecting… (your typing is kept)", "offline");
      const delay = Math.min(1000 * 2 ** retries, 10000);
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  function send(type, payload) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return null;
    seq += 1;
    const id = "c" + seq;
    socket.send(JSON.stringify({ type: type, id: id, payload: payload || {} }));
    return id;
  }

  setInterval(() => send("ping"), 25000);

  // --- Incoming messages -------------------------------------------------------------------

  const handlers = {
    snapshot(p) {
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
      p.documents.forEach((d) => reconcile(d.slot, d.text, d.revision));
      ["diagram", "private"].forEach((slot) => { if (!docs[slot]) reconcile(slot, "", 0); });
      state.steps.forEach((s) => { if (!docs["notes:" + s.key]) reconcile("notes:" + s.key, "", 0); });
      $$("[data-chat-log]").forEach((log) => log.replaceChildren());
      p.chat.forEach(addChat);
      const list = $("[data-deliveries]");
      if (list) list.replaceChildren();
      p.deliveries.forEach((d) => addDelivery(d, false));
      (p.scores || []).forEach((score) => { scores[score.criterion] = score; });
      if (p.panel) setPanel(p.panel.html);
      const refs = $("[data-references]");
      if (refs) {
        refs.replaceChildren();
        (p.references || []).forEach(addReference);
      }
      renderAll();
    },
    state(p) {
      offsetMs = Date.parse(p.server_now) - Date.now();
      const moved = state.step_index !== p.step_index;
      Object.assign(state, {
        phase: p.phase,
        label: p.label,
        actions: new Set(p.actions),
        why_not: p.why_not,
        step_index: p.step_index,
        clock: p.clock,
      });
      if (moved && followCurrent) selectedStep = stepKey(state.step_index);
      renderAll();
    },
    presence(p) {
      state.presence = p.participants;
      renderPresence();
    },
    "doc.updated"(p) {
      const doc = docs[p.slot];
      if (doc && p.revision <= doc.revision) return; // our own echo, or older
      if (doc && doc.dirty) return; // our next save will be refused and reconciled
      setDoc(p.slot, p.text, p.revision);
    },
    "doc.saved"(p) {
      const doc = docs[p.slot];
      if (!doc) return;
      doc.revision = p.revision;
      doc.inflight = false;
      if (doc.text === doc.sentText) {
        doc.dirty = false;
        localStorage.removeItem(STORE + p.slot);
        saveState(p.slot, "Saved");
      } else {
        scheduleSave(p.slot, 0);
      }
    },
    "chat.message": addChat,
    delivery(p) {
      state.deliveries.push(p);
      addDelivery(p, true);
      markSent();
    },
    panel(p) {
      setPanel(p.html);
    },
    "score.recorded": showScore,
    reference: addReference,
    ended(p) {
      Object.keys(docs).forEach((slot) => { if (docs[slot].dirty) flush(slot); });
      setTimeout(() => { window.location.href = p.redirect; }, 400);
    },
    pong() {},
    error(p) {
      if (p.code === "stale_revision") return conflict(p);
      if (p.code === "stale") return; // the state message that follows shows the truth
      markSent();
      banner(p.message, p.code === "rate_limited" ? "" : "bad");
    },
  };

  function handle(message) {
    const handler = handlers[message.type];
    if (handler) handler(message.payload || {});
  }

  // --- Documents: notes per step, diagram, private notes -----------------------------------

  function reconcile(slot, serverText, serverRevision) {
    // What we keep locally (unsaved typing from before a drop or a refresh) against the server.
    const kept = JSON.parse(localStorage.getItem(STORE + slot) || "null");
    const doc = docs[slot] || (docs[slot] = { text: "", revision: 0, dirty: false, inflight: false });
    doc.inflight = false;
    if (!kept || kept.text === serverText) {
      if (kept) localStorage.removeItem(STORE + slot);
      doc.dirty = false;
      setDoc(slot, serverText, serverRevision);
      return;
    }
    if (kept.base === serverRevision) {
      // Nobody else wrote since: our text simply was not saved yet. Send it now.
      setDoc(slot, kept.text, serverRevision);
      doc.dirty = true;
      scheduleSave(slot, 0);
      return;
    }
    conflict({ slot: slot, text: serverText, revision: serverRevision, mine: kept.text });
  }

  function conflict(p) {
    const doc = docs[p.slot];
    const mine = p.mine !== undefined ? p.mine : doc ? doc.text : "";
    if (doc) {
      doc.dirty = false;
      doc.inflight = false;
    }
    setDoc(p.slot, p.text, p.revision);
    localStorage.removeItem(STORE + p.slot);
    const keep = el("details", { class: "conflict" });
    keep.appendChild(el("summary", {}, "Your version"));
    const copy = el("textarea", { rows: "6", readonly: "" });
    copy.value = mine;
    keep.appendChild(copy);
    banner("This text was changed in another window. The latest version is shown; yours is kept here to copy back.", "", keep);
  }

  function setDoc(slot, text, revision) {
    const doc = docs[slot] || (docs[slot] = { dirty: false, inflight: false });
    doc.text = text;
    doc.revision = revision;
    const editor = editorFor(slot);
    if (editor && document.activeElement !== editor && editor.value !== text) editor.value = text;
    else if (editor && !doc.dirty && editor.value !== text) editor.value = text;
    if (slot === "diagram") renderDiagram(text);
    if (slot === "notes:" + selectedStep) renderNoteView();
  }

  function editorFor(slot) {
    if (slot === "diagram") return $("[data-diagram-editor]");
    if (slot === "private") return $("[data-private-editor]");
    if (slot === "notes:" + selectedStep) return $("[data-notes-editor]");
    return null;
  }

  function edited(slot, text) {
    const doc = docs[slot];
    if (!doc) return;
    doc.text = text;
    doc.dirty = true;
    localStorage.setItem(STORE + slot, JSON.stringify({ text: text, base: doc.revision }));
    saveState(slot, "Unsaved changes…");
    scheduleSave(slot, SAVE_DELAY);
  }

  function scheduleSave(slot, delay) {
    const doc = docs[slot];
    clearTimeout(doc.timer);
    doc.timer = setTimeout(() => flush(slot), delay);
  }

  function flush(slot) {
    const doc = docs[slot];
    if (!doc || !doc.dirty || doc.inflight) return;
    doc.sentText = doc.text;
    if (send("doc.edit", { slot: slot, base_revision: doc.revision, text: doc.text })) {
      doc.inflight = true;
      saveState(slot, "Saving…");
    } else {
      saveState(slot, "Offline: kept on this device, saved when the connection is back");
    }
  }

  function saveState(slot, text) {
    const name = slot.startsWith("notes:") ? "notes" : slot;
    const box = $('[data-save-state="' + name + '"]');
    if (box && (name !== "notes" || slot === "notes:" + selectedStep)) box.textContent = text;
  }

  // --- Rendering -----------------------------------------------------------------------------

  function renderAll() {
    if (!state) return;
    renderStatus();
    renderRail();
    renderTabs();
    renderEditors();
    renderPresence();
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
      const doc = docs["notes:" + selectedStep];
      const written = doc && doc.text.trim().length > 0;
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

  function renderTabs() {
    $$("[data-note-tab]").forEach((tab) => {
      const key = tab.dataset.noteTab;
      const doc = docs["notes:" + key];
      tab.setAttribute("aria-selected", String(key === selectedStep));
      tab.classList.toggle("current-step", key === stepKey(state.step_index));
      tab.classList.toggle("has-notes", !!(doc && doc.text.trim()));
    });
  }

  function renderEditors() {
    const notes = $("[data-notes-editor]");
    if (notes) {
      const doc = docs["notes:" + selectedStep];
      if (document.activeElement !== notes || notes.dataset.slot !== "notes:" + selectedStep) {
        notes.value = doc ? doc.text : "";
      }
      notes.dataset.slot = "notes:" + selectedStep;
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
    const doc = docs["notes:" + selectedStep];
    saveState("notes:" + selectedStep, doc && doc.dirty ? "Unsaved changes…" : doc && doc.revision ? "Saved" : "");
  }

  function renderNoteView() {
    const view = $("[data-notes-view]");
    if (!view) return;
    const doc = docs["notes:" + selectedStep];
    if (doc && doc.text.trim()) {
      view.replaceChildren(el("div", { class: "note-text" }, doc.text));
    } else {
      view.replaceChildren(el("p", { class: "muted" }, "Nothing written for " + stepTitle(selectedStep) + " yet."));
    }
  }

  let diagramTimer = null;
  let diagramText = null;
  function renderDiagram(text) {
    const source = $("[data-diagram-source]");
    if (source) source.textContent = text;
    if (text === diagramText) return;
    diagramText = text;
    clearTimeout(diagramTimer);
    diagramTimer = setTimeout(() => {
      const preview = $("[data-diagram-preview]");
      if (!text.trim()) {
        preview.replaceChildren(el("p", { class: "muted" }, "The diagram appears here as it is written (Mermaid syntax)."));
        return;
      }
      if (window.SevenstepsDiagram) window.SevenstepsDiagram.render(preview, text);
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
  }
  if ($("[data-panel]")) { showSideTab("guide"); countScores(); }

  function markSent() {
    if (!state) return;
    $$("[data-panel] [data-kind][data-index]").forEach((item) => {
      const sent = state.deliveries.some((d) => d.step === item.dataset.step && d.kind === item.dataset.kind && d.index === Number(item.dataset.index));
      item.classList.toggle("sent", sent);
      const button = $("[data-send-hint]", item);
      if (button) {
        button.disabled = sent || !can("hint");
        button.textContent = sent ? "Sent ✓" : "Send to candidate";
      }
    });
  }

  function showScore(p) {
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
    if (evidence && document.activeElement !== evidence) evidence.value = p.evidence;
    countScores();
  }

  // --- Clicks and typing ---------------------------------------------------------------------

  $$("[data-action]").forEach((button) => {
    button.addEventListener("click", () => {
      const action = button.dataset.action;
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      send(action);
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
      const editor = $("[data-notes-editor]");
      if (editor && docs[editor.dataset.slot] && docs[editor.dataset.slot].dirty) flush(editor.dataset.slot);
      selectedStep = tab.dataset.noteTab;
      followCurrent = selectedStep === stepKey(state.step_index);
      renderAll();
    });
  });

  const notesEditor = $("[data-notes-editor]");
  if (notesEditor) {
    notesEditor.addEventListener("input", () => {
      edited(notesEditor.dataset.slot, notesEditor.value);
      renderTabs();
      renderStatus();
    });
  }

  const diagramEditor = $("[data-diagram-editor]");
  if (diagramEditor) {
    diagramEditor.addEventListener("input", () => {
      edited("diagram", diagramEditor.value);
      renderDiagram(diagramEditor.value);
    });
  }

  const privateEditor = $("[data-private-editor]");
  if (privateEditor) {
    privateEditor.addEventListener("input", () => edited("private", privateEditor.value));
  }

  const panel = $("[data-panel]");
  if (panel) {
    panel.addEventListener("click", (event) => {
      const sendButton = event.target.closest("[data-send-hint]");
      if (sendButton) {
        const item = sendButton.closest("[data-kind][data-index]");
        sendButton.disabled = true;
        sendButton.textContent = "Sending…";
        send("hint.send", { step: item.dataset.step, kind: item.dataset.kind, index: Number(item.dataset.index) });
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
      clearTimeout(timers[box.dataset.criterion]);
      timers[box.dataset.criterion] = setTimeout(() => sendScore(box), 700);
    });
  }

  function sendScore(box) {
    const level = box.dataset.level ? Number(box.dataset.level) : null;
    send("score.record", {
      criterion: box.dataset.criterion,
      level: level,
      not_observed: box.dataset.notObserved === "1",
      evidence: ($("[data-score-evidence]", box) || {}).value || "",
    });
  }

  const chatForm = $("[data-chat-form]");
  if (chatForm) {
    chatForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("[data-chat-input]", chatForm);
      const text = input.value.trim();
      if (!text) return;
      if (send("chat.send", { text: text })) input.value = "";
      else banner("Not connected: your message was not sent. It is still in the box.", "bad");
    });
  }

  const reveal = $("[data-reveal]");
  if (reveal) {
    reveal.addEventListener("click", () => {
      const doc = docs["notes:" + selectedStep];
      if (doc && doc.dirty) flush("notes:" + selectedStep);
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

  window.addEventListener("beforeunload", () => {
    Object.keys(docs).forEach((slot) => { if (docs[slot].dirty) flush(slot); });
  });

  setInterval(() => { if (state) renderRail(); }, 1000);
  connect();
})();
