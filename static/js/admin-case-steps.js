/* The case study's change form in the admin: the interviewer guide one step at a time.
 *
 * The admin renders one stacked form per step of the framework (casestudies/admin.py,
 * CaseStepInline). This script shows one of them with a step navigation above it and
 * "Previous"/"Next" below; the others are hidden, not removed, so one Save still saves every
 * step. A step whose form has errors is marked in the navigation and shown first. Without
 * JavaScript the forms stay stacked.
 */
(function () {
  "use strict";

  const group = document.getElementById("steps-group");
  if (!group) return;
  const forms = Array.from(group.querySelectorAll(".inline-related")).filter(
    (form) => !form.classList.contains("empty-form") && !form.id.endsWith("-empty")
  );
  if (forms.length < 2) return;
  const storeKey = "case-step:" + location.pathname;

  function titleOf(form, index) {
    const select = form.querySelector("select[name$='-framework_step']");
    if (select && select.value) return select.options[select.selectedIndex].text;
    const head = form.querySelector("h3 b, h3");
    return head ? head.textContent.trim() : "Step " + (index + 1);
  }

  function make(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => node.setAttribute(name, value));
    if (text) node.textContent = text;
    return node;
  }

  const nav = make("nav", { class: "case-step-nav", "aria-label": "Step guides" });
  nav.appendChild(make("p", { class: "case-step-hint" }, "One step at a time: pick a step to edit its guide. Save keeps every step."));
  const list = make("ol");
  nav.appendChild(list);
  const buttons = forms.map((form, index) => {
    const item = make("li");
    const button = make("button", { type: "button", class: "case-step-tab", "data-step-index": String(index) });
    button.appendChild(make("span", { class: "case-step-title" }, titleOf(form, index)));
    if (form.querySelector(".errorlist, .errornote, .errors")) {
      button.classList.add("has-errors");
      button.appendChild(make("span", { class: "case-step-error" }, "needs attention"));
    }
    button.addEventListener("click", () => show(index, true));
    item.appendChild(button);
    list.appendChild(item);
    return button;
  });
  forms[0].before(nav);

  const pager = make("div", { class: "case-step-pager" });
  const previous = make("button", { type: "button", class: "button", "data-step-move": "-1" }, "← Previous step");
  const next = make("button", { type: "button", class: "button", "data-step-move": "1" }, "Next step →");
  pager.append(previous, next);
  forms[forms.length - 1].after(pager);

  let current = 0;
  function show(index, focus) {
    current = Math.max(0, Math.min(forms.length - 1, index));
    forms.forEach((form, j) => { form.hidden = j !== current; });
    buttons.forEach((button, j) => button.setAttribute("aria-current", j === current ? "step" : "false"));
    previous.disabled = current === 0;
    next.disabled = current === forms.length - 1;
    sessionStorage.setItem(storeKey, String(current));
    if (focus) {
      const field = forms[current].querySelector("textarea") || forms[current].querySelector("input:not([type=hidden]), select");
      if (field) field.focus({ preventScroll: true });
      nav.scrollIntoView({ block: "start" });
    }
  }
  previous.addEventListener("click", () => show(current - 1, true));
  next.addEventListener("click", () => show(current + 1, true));

  const withErrors = buttons.findIndex((button) => button.classList.contains("has-errors"));
  const remembered = Number(sessionStorage.getItem(storeKey) || "0");
  show(withErrors >= 0 ? withErrors : remembered, false);
})();
