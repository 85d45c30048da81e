// Finding a partner: more time rows on the request form, and the browser's time zone as the
// default where the member has not chosen one (request form, sign-up). No library needed.
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";

  const form = document.querySelector("[data-request-form]");
  if (form) {
    const add = form.querySelector("[data-add-slot]");
    const refresh = () => { add.hidden = !form.querySelector("[data-slot-row][hidden]"); };
    add.addEventListener("click", () => {
      const next = form.querySelector("[data-slot-row][hidden]");
      if (next) {
        next.hidden = false;
        next.querySelector("input").focus();
      }
      refresh();
    });
    refresh();
    const hint = form.querySelector("[data-zone-hint]");
    const select = form.querySelector("select[name=time_zone]");
    if (hint && select && [...select.options].some((o) => o.value === zone)) {
      select.value = zone;
      hint.querySelector("[data-zone-name]").textContent = zone;
      hint.hidden = false;
    }
  }

  for (const input of document.querySelectorAll("input[data-detect-zone]")) {
    if (!input.value) input.value = zone;
  }
})();
