// Modal dialogs: a confirmation before anything that changes many records or undoes work, and a
// question with a text answer. Built on <dialog>.showModal() (the page behind is inert); Tab and
// Shift+Tab cycle inside the dialog, Escape cancels, and focus returns where it was.
import { h } from "./dom.js";

const FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

/** Keeps Tab inside `dialog` (the browser would move on to its own address bar). */
export function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => !el.disabled && el.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
    else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
  });
}

export const isOpen = () => document.querySelector("dialog[open]") !== null;

function open({ title, body, confirm, danger = false, field = null }) {
  const returnTo = document.activeElement;
  return new Promise((resolve) => {
    const titleId = `dialog-${Math.random().toString(36).slice(2)}`;
    const input = field
      ? h(field.multiline ? "textarea" : "input", {
        id: `${titleId}-input`, type: "text", rows: field.multiline ? 3 : null, value: field.value || "",
        required: field.required || null, maxlength: 2000, autocomplete: "off", spellcheck: "false",
      })
      : null;
    const error = h("p", { class: "field-errors", role: "alert" });
    const cancel = h("button", { type: "button" }, "Cancel");
    const ok = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirm);
    const form = h("form", {},
      h("h2", { id: titleId }, title),
      ...(Array.isArray(body) ? body : [body]).map((p) => (p instanceof Node ? p : h("p", {}, p))),
      field ? [h("label", { for: input.id }, field.label), input] : null,
      error,
      h("div", { class: "actions" }, ok, cancel));
    const dialog = h("dialog", { "aria-labelledby": titleId, class: "confirm" }, form);
    let answer = null;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (input && field.required && !input.value.trim()) {
        error.textContent = `${field.label} is required.`;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      answer = input ? input.value : true;
      dialog.close();
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (returnTo && returnTo.isConnected) returnTo.focus();
      resolve(answer);
    });
    trapFocus(dialog);
    document.body.append(dialog);
    dialog.showModal();
    // a destructive action starts on Cancel; a question on its field
    (input || (danger ? cancel : ok)).focus();
  });
}

/** Resolves true when confirmed, null when cancelled. */
export const confirmDialog = (options) => open(options);

/** Resolves the text typed (possibly empty when not required), or null when cancelled. */
export const askDialog = (options) => open({ ...options, field: options.field });
