// The queue: filters, search, sort, counts and cursor paging (GET /reviews, GET /reviews/counts), the
// current row (j / k) and the selection (x), each view's answers guarded so an older one never lands.
import { aborted, api, describe, latest, missing, query } from "./api.js";
import { $, debounce, fill, h, number } from "./dom.js";

const DEFAULT_FILTERS = { status: "queued", kind: "", object_type: "", field: "", run_id: "", q: "" };
const FILTERS = ["status", "kind", "object_type", "field", "run_id"];
const SEARCH_DELAY_MS = 250;

export const state = {
  filters: { ...DEFAULT_FILTERS },
  sort: "newest",
  limit: 50,
  cursors: [null], // the cursor of every page visited so far; the last one is this page's
  items: [],
  next: null,
  current: -1,
  selected: new Map(), // review_id -> item, across pages
  total: null,
  fields: new Set(),
};

let ctx = null;
const pages = latest();
const counts = latest();

export function init(context) {
  ctx = context;
  fillSelect("f-status", [...ctx.vocab.statuses].sort((a, b) => b.decidable - a.decidable)
    .map((s) => [s.status, s.label]));
  fillSelect("f-kind", ctx.vocab.kinds.map((k) => [k.kind, k.label]));
  fillSelect("f-object_type", ctx.vocab.object_types.map((t) => [t, t]));
  fillSelect("f-field", []);
  syncInputs();

  for (const name of ["status", "kind", "object_type", "field"]) {
    $(`f-${name}`).addEventListener("change", (event) => setFilter(name, event.target.value));
  }
  const typed = debounce((name, value) => setFilter(name, value), SEARCH_DELAY_MS);
  $("q").addEventListener("input", (event) => typed("q", event.target.value.trim()));
  $("f-run_id").addEventListener("input", (event) => typed("run_id", event.target.value.trim()));
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("filters").addEventListener("reset", (event) => {
    event.preventDefault();
    state.filters = { ...DEFAULT_FILTERS, status: "" };
    syncInputs();
    refilter();
  });
  $("sort").addEventListener("change", (event) => { state.sort = event.target.value; restart(); });
  $("limit").addEventListener("change", (event) => { state.limit = Number(event.target.value); restart(); });
  $("next").addEventListener("click", () => nextPage());
  $("prev").addEventListener("click", () => previousPage());
  $("select-page").addEventListener("change", (event) => selectPage(event.target.checked));
  $("rows").addEventListener("click", onRowClick);
}

function fillSelect(id, entries) {
  const select = $(id);
  fill(select, h("option", { value: "" }, "any"), entries.map(([value, label]) => h("option", { value }, label)));
}

function syncInputs() {
  for (const name of FILTERS) {
    const el = $(`f-${name}`);
    if (name === "field" && state.filters.field && !state.fields.has(state.filters.field)) {
      state.fields.add(state.filters.field);
      fieldOptions();
    }
    el.value = state.filters[name];
  }
  $("q").value = state.filters.q;
  $("sort").value = state.sort;
}

/** Sets one filter (from a control, a chip or another view) and reloads from the first page. */
export function setFilter(name, value) {
  if (state.filters[name] === value) return;
  state.filters[name] = value;
  syncInputs();
  refilter();
}

/** Sets several filters at once (e.g. "this run's items" from the health view). */
export function setFilters(filters) {
  state.filters = { ...DEFAULT_FILTERS, status: "", ...filters };
  syncInputs();
  refilter();
}

function refilter() {
  if (state.selected.size) {
    state.selected.clear();
    ctx.say("Selection cleared: the filters changed.");
  }
  restart();
  loadCounts();
}

function restart() {
  state.cursors = [null];
  state.current = -1;
  load();
}

export const filterBody = () => Object.fromEntries(
  Object.entries(state.filters).filter(([, value]) => value !== ""),
);

/** Loads the current page; `keep` keeps the current row's position (after a decision). */
export async function load({ keep = false } = {}) {
  const request = pages.start();
  const started = performance.now();
  const rows = $("rows");
  rows.setAttribute("aria-busy", "true");
  const cursor = state.cursors[state.cursors.length - 1];
  const params = { ...state.filters, sort: state.sort, limit: state.limit, cursor };
  try {
    const page = await api(`/reviews${query(params)}`, { signal: request.signal });
    if (!request.current()) return;
    state.items = page.items;
    state.next = page.next_cursor || null;
    const last = state.items.length - 1;
    state.current = keep ? Math.min(Math.max(state.current, 0), last) : Math.min(0, last);
    render();
    performance.measure("console:queue", {
      start: started, detail: { q: state.filters.q, items: page.items.length, page: state.cursors.length },
    });
  } catch (error) {
    if (aborted(error) || !request.current()) return;
    if (error.code === "invalid_request" && cursor) {
      ctx.shout(`${describe(error)}. Back to the first page.`);
      state.cursors = [null];
      load();
      return;
    }
    state.items = [];
    fill(rows, h("tr", {}, h("td", { colspan: 8, class: "empty" }, `The queue could not be loaded: ${describe(error)}`)));
    ctx.shout(describe(error));
  } finally {
    if (request.current()) rows.setAttribute("aria-busy", "false");
  }
}

export async function loadCounts() {
  const request = counts.start();
  const target = $("counts");
  try {
    const answer = await api(`/reviews/counts${query(state.filters)}`, { signal: request.signal });
    if (!request.current()) return;
    state.total = answer.total;
    for (const field of Object.keys(answer.by_field || {})) if (field) state.fields.add(field);
    fieldOptions();
    renderCounts(answer);
  } catch (error) {
    if (aborted(error) || !request.current()) return;
    state.total = null;
    const why = missing(error) ? "this API has no GET /reviews/counts yet" : describe(error);
    fill(target, h("span", { class: "muted" }, `Counts unavailable: ${why}.`));
  }
  pageInfo();
}

function fieldOptions() {
  const select = $("f-field");
  const chosen = state.filters.field;
  fill(select, h("option", { value: "" }, "any"),
    [...state.fields].sort().map((field) => h("option", { value: field }, field)));
  select.value = chosen;
}

function renderCounts(answer) {
  const chip = (name, value, label, count) => {
    const active = state.filters[name] === value;
    return h("button", {
      type: "button", class: "chip", "aria-pressed": String(active),
      title: active ? `Show every ${name.replace("_", " ")}` : `Show only ${label}`,
      onclick: () => setFilter(name, active ? "" : value),
    }, `${label} `, h("b", {}, number(count)));
  };
  const statusLabel = (status) => (ctx.vocab.status(status) || {}).label || status;
  fill($("counts"),
    h("span", { class: "chip", id: "total" }, h("b", {}, number(answer.total)), " matching"),
    Object.entries(answer.by_status || {}).filter(([, n]) => n)
      .map(([status, n]) => chip("status", status, statusLabel(status), n)),
    h("span", { class: "sep", "aria-hidden": "true" }),
    Object.entries(answer.by_kind || {}).filter(([, n]) => n)
      .map(([kind, n]) => chip("kind", kind, ctx.vocab.kindLabel(kind), n)));
  $("bulk-filter-label").textContent = `Everything matching this filter (${number(answer.total)})`;
}

function pageInfo() {
  const index = state.cursors.length;
  const first = (index - 1) * state.limit + 1;
  const shown = state.items.length;
  const of = state.total === null ? "" : ` of ${number(state.total)}`;
  $("page-info").textContent = shown
    ? `Items ${number(first)}–${number(first + shown - 1)}${of} · page ${index}`
    : `No items${of ? " on this page" : ""}`;
  $("prev").disabled = index <= 1;
  $("next").disabled = !state.next;
}

export const decidable = (item) => Boolean((ctx.vocab.status(item.status) || {}).decidable);

function valueText(item, key) {
  return item[key] === "" ? h("span", { class: "muted" }, "(empty)") : item[key];
}

function row(item, index) {
  const picked = state.selected.has(item.review_id);
  const status = ctx.vocab.status(item.status) || {};
  const badges = [
    item.protected ? h("span", { class: "badge protected" }, "protected") : null,
    item.decision === "blocked" ? h("span", { class: "badge blocked" }, "blocked") : null,
    item.priority === "high" ? h("span", { class: "badge high" }, "high priority") : null,
  ];
  const box = decidable(item)
    ? h("input", { type: "checkbox", class: "pick", checked: picked, "aria-label": `Select ${item.object_type} ${item.record_id} ${item.field || item.kind}` })
    : null;
  return h("tr", {
    dataset: { id: item.review_id, index: String(index) },
    class: [index === state.current ? "current" : "", picked ? "picked" : ""].join(" ").trim() || null,
    "aria-current": index === state.current ? "true" : null,
    tabindex: index === state.current ? "0" : "-1",
  },
  h("td", {}, box),
  h("td", {}, h("span", { class: "muted" }, item.object_type), " ", h("b", {}, item.record_id),
    item.label ? h("div", { class: "record-label" }, item.label) : null),
  h("td", {}, ctx.vocab.kindLabel(item.kind), badges),
  h("td", {}, item.field || h("span", { class: "muted" }, "record")),
  h("td", { class: "value" }, valueText(item, "current_value")),
  h("td", { class: "value" }, item.final_value === null || item.final_value === undefined
    ? valueText(item, "suggested_value") : item.final_value),
  h("td", { class: "num" }, `${Math.round(Number(item.confidence) * 100)}%`),
  h("td", {}, status.label || item.status));
}

export function render() {
  const rows = $("rows");
  if (!state.items.length) {
    const filtered = Object.values(state.filters).some(Boolean);
    fill(rows, h("tr", {}, h("td", { colspan: 8, class: "empty" },
      filtered ? "Nothing matches these filters." : "Nothing here. The queue is clean.")));
  } else {
    fill(rows, state.items.map(row));
  }
  pageInfo();
  selectionChanged();
}

function onRowClick(event) {
  const tr = event.target.closest("tr[data-index]");
  if (!tr) return;
  const index = Number(tr.dataset.index);
  if (event.target.classList.contains("pick")) {
    toggle(state.items[index], event.target.checked);
    return;
  }
  setCurrent(index, { focus: true });
  ctx.open(state.items[index]);
}

export const currentItem = () => (state.current >= 0 ? state.items[state.current] : null);

/** Makes row `index` the current one (highlight, roving tab stop, scrolled into view). */
export function setCurrent(index, { focus = false } = {}) {
  if (!state.items.length) return;
  state.current = Math.max(0, Math.min(index, state.items.length - 1));
  for (const tr of $("rows").querySelectorAll("tr[data-index]")) {
    const mine = Number(tr.dataset.index) === state.current;
    tr.classList.toggle("current", mine);
    if (mine) tr.setAttribute("aria-current", "true"); else tr.removeAttribute("aria-current");
    tr.tabIndex = mine ? 0 : -1;
    if (mine) {
      tr.scrollIntoView({ block: "nearest" });
      if (focus) tr.focus({ preventScroll: true });
    }
  }
}

/** j / k: the next or previous row, across pages. Resolves the new current item. */
export async function move(delta) {
  const target = state.current + delta;
  if (target >= state.items.length && state.next) {
    await nextPage();
    setCurrent(0, { focus: true });
  } else if (target < 0 && state.cursors.length > 1) {
    await previousPage();
    setCurrent(state.items.length - 1, { focus: true });
  } else {
    setCurrent(target, { focus: true });
  }
  return currentItem();
}

export async function nextPage() {
  if (!state.next) return;
  state.cursors.push(state.next);
  await load();
}

export async function previousPage() {
  if (state.cursors.length <= 1) return;
  state.cursors.pop();
  await load();
}

export function toggle(item, on = !state.selected.has(item.review_id)) {
  if (!item || !decidable(item)) return false;
  if (on) state.selected.set(item.review_id, item); else state.selected.delete(item.review_id);
  const tr = $("rows").querySelector(`tr[data-id="${CSS.escape(item.review_id)}"]`);
  if (tr) {
    tr.classList.toggle("picked", on);
    const box = tr.querySelector(".pick");
    if (box) box.checked = on;
  }
  selectionChanged();
  return true;
}

function selectPage(on) {
  for (const item of state.items) if (decidable(item)) toggle(item, on);
}

export function clearSelection() {
  state.selected.clear();
  for (const box of $("rows").querySelectorAll(".pick")) box.checked = false;
  for (const tr of $("rows").querySelectorAll("tr.picked")) tr.classList.remove("picked");
  selectionChanged();
}

function selectionChanged() {
  const n = state.selected.size;
  $("bulk-selected").textContent = `${number(n)} selected`;
  for (const button of document.querySelectorAll("[data-scope=selection], #bulk-clear")) button.disabled = n === 0;
  const boxes = [...$("rows").querySelectorAll(".pick")];
  const on = boxes.filter((box) => box.checked).length;
  $("select-page").checked = boxes.length > 0 && on === boxes.length;
  $("select-page").indeterminate = on > 0 && on < boxes.length;
}

/** Reloads the page and the counts (after decisions), keeping the current position. */
export function refresh() {
  loadCounts();
  return load({ keep: true });
}
