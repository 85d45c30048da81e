/* The wrap-up form (feedback/templates/feedback/wrapup.html): saved as you go, progress per
 * step, and the error summary of a refused submission.
 *
 * Each choice is saved at once and each note after a pause in typing: the whole form is posted
 * to the draft URL (feedback.views.wrapup_draft), one request at a time, so a later state is
 * never overtaken by an earlier one. The state line says "Saving…", "Saved" or "Not saved"
 * with a retry button (and retries by itself a few seconds later). A reload fills the form
 * from the saved draft (the server renders it).
 */
(function () {
  "use strict";

  const form = document.querySelector("[data-wrapup-form]");
  if (!form) return;
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
  const stateLine = document.querySelector("[data-save-state]");
  const stateText = document.querySelector("[data-save-text]");
  const retryButton = document.querySelector("[data-save-retry]");
  const evidenceNeeded = form.dataset.evidenceNeeded === "1";
  const TYPING_PAUSE = 700;
  const RETRY_AFTER = 5000;

  let dirty = false; // changed since the last state the server confirmed
  let inFlight = false;
  let timer = null;
  let retryTimer = null;
  let submitting = false;

  function show(state, text) {
    if (!stateLine) return;
    stateLine.dataset.saveState = state;
    stateText.textContent = text;
    retryButton.hidden = state !== "failed";
  }

  function csrfToken() {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function save() {
    clearTimeout(timer);
    clearTimeout(retryTimer);
    if (inFlight || submitting) return;
    if (!dirty) return;
    inFlight = true;
    dirty = false;
    show("saving", "Saving…");
    const data = new FormData(form);
    let failure = "";
    try {
      const response = await fetch(form.dataset.draftUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || !body.saved) failure = body.message || "The server did not answer.";
    } catch (err) {
      failure = "No connection.";
    }
    inFlight = false;
    if (failure) {
      dirty = true;
      show("failed", "Not saved — " + failure);
      retryTimer = setTimeout(save, RETRY_AFTER);
      return;
    }
    if (dirty) {
      save(); // changed while this one was on its way
      return;
    }
    const now = new Date();
    show("saved", "Saved at " + now.toTimeString().slice(0, 5));
  }

  function changed(wait) {
    dirty = true;
    show("pending", "Not saved yet…");
    clearTimeout(timer);
    timer = setTimeout(save, wait);
    updateProgress();
  }

  form.addEventListener("change", (event) => {
    if (event.target.matches("textarea")) return; // typed: saved on the pause already
    changed(0);
  });
  form.addEventListener("input", (event) => {
    if (event.target.matches("textarea")) changed(TYPING_PAUSE);
  });
  if (retryButton) retryButton.addEventListener("click", () => { dirty = true; save(); });
  form.addEventListener("submit", () => { submitting = true; clearTimeout(timer); });
  window.addEventListener("beforeunload", (event) => {
    if (!submitting && (dirty || inFlight)) {
      save();
      event.preventDefault();
    }
  });

  // --- Progress ---------------------------------------------------------------------------------

  function scored(fieldset) {
    if (!fieldset.querySelector("input[type=radio]:checked")) return false;
    if (!evidenceNeeded) return true;
    const note = fieldset.querySelector("textarea");
    return !!note && note.value.trim() !== "";
  }

  function updateProgress() {
    let done = 0;
    let total = 0;
    $$("[data-step]", form).forEach((section) => {
      const boxes = $$("fieldset[data-criterion]", section);
      const count = boxes.filter(scored).length;
      done += count;
      total += boxes.length;
      const item = document.querySelector('[data-progress-step="' + section.dataset.step + '"]');
      if (!item) return;
      item.querySelector("[data-step-done]").textContent = String(count);
      item.classList.toggle("complete", count === boxes.length);
    });
    const doneEl = document.querySelector("[data-progress-done]");
    if (doneEl) doneEl.textContent = String(done);
    const meter = document.querySelector("[data-progress-meter]");
    if (meter) { meter.max = total || 1; meter.value = done; }
  }

  // --- The error summary: focused on arrival, each item focuses its field ------------------------

  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("[data-error-link]");
      if (!link) return;
      const field = document.getElementById(link.dataset.errorLink);
      if (!field) return;
      event.preventDefault();
      const box = field.closest("fieldset") || field;
      box.scrollIntoView({ block: "center" });
      field.focus({ preventScroll: true });
      history.replaceState(null, "", "#" + link.dataset.errorLink);
    });
  }

  // --- Beside the scorecard: open at laptop width, folded on a phone -----------------------------

  const aside = document.querySelector("[data-aside-panel]");
  if (aside && window.matchMedia("(max-width: 1099px)").matches) aside.open = false;

  updateProgress();
})();
