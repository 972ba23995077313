// The review console: wires the views together, the reviewer's identity, the tabs and the shortcuts.
// Plain ES modules, no build step; everything it shows comes from the review API (the vocabularies
// from GET /vocabulary, never listed here).
import { api, ApiError, describe, identity, REVIEWER_PATTERN } from "./api.js";
import { ensureSignedIn, signIn, signOut } from "./auth.js";
import * as bulk from "./bulk.js";
import * as detail from "./detail.js";
import { isOpen as dialogOpen, trapFocus } from "./dialogs.js";
import { $ } from "./dom.js";
import * as health from "./health.js";
import * as queue from "./queue.js";

function say(text, error = false) {
  if (error) { shout(text); return; }
  $("alert").textContent = "";
  $("status").textContent = text;
}

function shout(text) {
  $("status").textContent = "";
  $("alert").textContent = text;
}

function vocabularyOf(answer) {
  const statuses = new Map(answer.statuses.map((s) => [s.status, s]));
  const kinds = new Map(answer.kinds.map((k) => [k.kind, k]));
  return {
    ...answer,
    status: (name) => statuses.get(name),
    kindLabel: (name) => (kinds.get(name) || {}).label || name,
  };
}

const ctx = {
  say,
  shout,
  vocab: null,
  open: (item) => detail.open(item, { focus: true }),
  show,
  async afterChange() {
    await queue.refresh();
    const item = queue.currentItem();
    if (detail.isOpen() && item) detail.open(item);
    else if (detail.isOpen()) detail.close();
  },
};

function show(view) {
  for (const name of ["queue", "health"]) {
    const on = name === view;
    $(`view-${name}`).hidden = !on;
    if (on) $(`tab-${name}`).setAttribute("aria-current", "page"); else $(`tab-${name}`).removeAttribute("aria-current");
  }
  if (view === "health") health.load();
}

function setUpIdentity() {
  const input = $("reviewer");
  const note = $("who-note");
  input.value = identity.reviewer();
  const signedIn = () => {
    const token = Boolean(identity.token());
    $("sign-out").hidden = !token;
    note.textContent = token ? "signed in" : "";
  };
  input.addEventListener("change", () => {
    if (identity.setReviewer(input.value)) {
      input.removeAttribute("aria-invalid");
      say(input.value.trim() ? `Decisions are recorded as ${input.value.trim()}.` : "Reviewer name cleared.");
    } else {
      input.setAttribute("aria-invalid", "true");
      shout(`A reviewer name is 1 to 64 letters, digits, spaces or . _ @ + - (pattern ${REVIEWER_PATTERN.source}).`);
    }
  });
  $("sign-out").addEventListener("click", () => { signOut(); signedIn(); say("Signed out of this tab."); });
  signedIn();
}

const typing = (el) => el && (el.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName));

async function withCurrent(action) {
  const item = queue.currentItem();
  if (!item) { say("No item is selected: press j to start."); return; }
  await action(item);
}

const SHORTCUTS = {
  j: () => step(1),
  k: () => step(-1),
  x: () => withCurrent((item) => {
    if (!queue.toggle(item)) say(`${item.record_id} cannot be decided (${(ctx.vocab.status(item.status) || {}).label || item.status}).`);
  }),
  a: () => withCurrent((item) => (queue.decidable(item) ? detail.approve(item) : say("This item is not waiting for a decision."))),
  r: () => withCurrent((item) => (queue.decidable(item) ? detail.reject(item) : say("This item is not waiting for a decision."))),
  e: () => withCurrent(async (item) => {
    const shown = detail.shown.detail && detail.shown.detail.item.review_id === item.review_id;
    if (shown && detail.focusEdit()) return;
    await detail.open(item, { then: () => { if (!detail.focusEdit()) say("This item has no value to edit (approve or reject it)."); } });
  }),
  Enter: () => withCurrent((item) => detail.open(item, { focus: true })),
  "/": () => $("q").focus(),
  "?": () => $("help").showModal(),
};

async function step(delta) {
  if (queue.state.current < 0 && queue.state.items.length) { queue.setCurrent(0, { focus: true }); }
  else await queue.move(delta);
  const item = queue.currentItem();
  if (item && detail.isOpen()) detail.open(item);
}

function onKey(event) {
  if (event.key === "Escape" && !dialogOpen() && detail.isOpen()) { detail.close(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey || dialogOpen() || typing(event.target)) return;
  if ($("view-queue").hidden) return;
  const action = SHORTCUTS[event.key];
  if (!action) return;
  // Enter on a button or link keeps its own meaning
  if (event.key === "Enter" && event.target.closest("button, a")) return;
  event.preventDefault();
  action();
}

async function start() {
  try {
    if (!(await ensureSignedIn())) return; // on the way to the sign-in page
  } catch (error) {
    shout(`Sign-in failed: ${describe(error)}`);
  }
  setUpIdentity();
  $("tab-queue").addEventListener("click", () => show("queue"));
  $("tab-health").addEventListener("click", () => show("health"));
  $("help-open").addEventListener("click", () => $("help").showModal());
  $("help-close").addEventListener("click", () => $("help").close());
  trapFocus($("help"));
  document.addEventListener("keydown", onKey);
  try {
    ctx.vocab = vocabularyOf(await api("/vocabulary"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && identity.token()) {
      identity.signOut(); // expired: sign in again
      signIn();
      return;
    }
    shout(`The console could not start: ${describe(error)}`);
    return;
  }
  queue.init(ctx);
  detail.init(ctx);
  bulk.init(ctx);
  health.init(ctx);
  queue.load();
  queue.loadCounts();
}

start();
