// One item (GET /reviews/{id}): the evidence in words, the record's values, a merge's members side by
// side with the field winners and a primary picker, the audit history with its verification; and the
// actions on it: approve, reject, edit-and-approve (the API's 422 shown at the field), roll back the
// change or the run, unmerge. Every destructive action is confirmed first.
import { aborted, api, ApiError, describe, latest, missing } from "./api.js";
import { askDialog, confirmDialog } from "./dialogs.js";
import { $, fill, h, number, percent, when } from "./dom.js";
import { followJob } from "./jobs.js";

let ctx = null;
const requests = latest();
export const shown = { detail: null, primary: null };

export function init(context) {
  ctx = context;
}

const panel = () => $("detail");
export const isOpen = () => !panel().hidden;

export function close() {
  requests.cancel();
  panel().hidden = true;
  shown.detail = null;
  const row = $("rows").querySelector("tr.current");
  if (row) row.focus();
}

/** Opens `item` in the panel; `focus` moves the keyboard there (Enter, a click), else it stays on the row. */
export async function open(item, { focus = false, then = null, primary = null } = {}) {
  const el = panel();
  el.hidden = false;
  el.setAttribute("aria-busy", "true");
  if (!shown.detail || shown.detail.item.review_id !== item.review_id) {
    fill(el, h("p", { class: "muted" }, `Loading ${item.object_type} ${item.record_id}…`));
  }
  const request = requests.start();
  try {
    // a merge's winners around another member (the primary picker's preview)
    const preview = primary ? `?primary_id=${encodeURIComponent(primary)}` : "";
    const detail = await api(`/reviews/${encodeURIComponent(item.review_id)}${preview}`, { signal: request.signal });
    if (!request.current()) return;
    shown.detail = detail;
    shown.primary = primary;
    render(detail);
    if (focus) el.focus();
    if (then) then();
  } catch (error) {
    if (aborted(error) || !request.current()) return;
    fill(el, h("p", { class: "alert" }, `This item could not be loaded: ${describe(error)}`));
  } finally {
    if (request.current()) el.setAttribute("aria-busy", "false");
  }
}

const statusOf = (item) => ctx.vocab.status(item.status) || {};
const isMerge = (item) => item.change_kind === "merge";
const editable = (item) => statusOf(item).decidable && !isMerge(item) && Boolean(item.field);

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function render(detail) {
  const { item } = detail;
  const status = statusOf(item);
  const closeButton = h("button", { type: "button", class: "ghost", "aria-label": "Close the detail (Esc)", onclick: close }, "×");
  const title = isMerge(item)
    ? `Merge of ${item.proposal ? item.proposal.members.length : "?"} ${item.object_type}s`
    : `${ctx.vocab.kindLabel(item.kind)}${item.field ? ` · ${item.field}` : ""}`;
  fill(panel(),
    h("header", {}, h("h2", { id: "detail-title" }, title), closeButton),
    warnings(detail),
    facts([
      ["Record", `${item.object_type} ${item.record_id}`],
      ["Status", status.label || item.status],
      !isMerge(item) ? ["Current", h("span", { class: "value" }, item.current_value || "(empty)")] : [],
      !isMerge(item) ? ["Suggested", h("span", { class: "value" }, item.suggested_value || "(empty)")] : [],
      item.final_value !== null && item.final_value !== undefined && item.final_value !== item.suggested_value
        ? ["Written", h("span", { class: "value" }, item.final_value)] : [],
      ["Confidence", percent(item.confidence)],
      ["Source", item.source],
      ["Run", item.run_id],
      ["Created", when(item.created_at)],
      item.decided_by ? ["Decided", `${item.decided_as || ""} by ${item.decided_by}`] : [],
      item.note ? ["Note", item.note] : [],
    ].filter((pair) => pair.length)),
    h("h3", {}, "Why"),
    evidence(item),
    isMerge(item) ? merge(detail) : recordValues(detail),
    actions(detail),
    history(detail));
}

function warnings(detail) {
  const list = detail.audit_warnings || [];
  if (!list.length) return null;
  return h("div", { class: "warning", role: "alert" },
    h("b", {}, "The audit history does not fully verify."),
    h("ul", {}, list.map((w) => h("li", {}, w))));
}

function evidence(item) {
  const parts = [h("p", { class: "evidence" }, item.evidence || "No evidence recorded.")];
  const proposal = item.proposal;
  if (proposal) {
    parts.push(facts([
      ["Match", percent(proposal.match_probability)],
      ["Why this primary", proposal.primary_reason],
      ["Band", proposal.band_reason],
    ]));
    for (const pair of proposal.evidence || []) {
      parts.push(h("p", { class: "small" }, `${pair.id_l} and ${pair.id_r}: ${percent(pair.match_probability)} likely the same`),
        h("ul", { class: "evidence small" }, (pair.contributions || []).map((c) => h("li", {},
          `${c.comparison}: ${c.level} (${c.weight >= 0 ? "+" : ""}${Number(c.weight).toFixed(1)} bits ${c.weight >= 0 ? "for" : "against"})`))));
    }
    if ((proposal.protected_conflicts || []).length) {
      parts.push(h("div", { class: "warning" }, h("b", {}, "Protected fields differ: "),
        proposal.protected_conflicts.map((c) => `${c.field} (${Object.entries(c.values).map(([id, v]) => `${id}: ${v}`).join(", ")})`).join("; ")));
    }
  }
  return parts;
}

function recordValues(detail) {
  const record = detail.record;
  if (record === undefined) return h("p", { class: "muted small" }, "The record's current values are not available from this API version.");
  if (record === null) return h("p", { class: "muted small" }, "The record is not in the CRM (any more).");
  const field = detail.item.field;
  return [h("h3", {}, "Record now"),
    h("table", { class: "values" }, h("tbody", {}, Object.entries(record).map(([name, value]) => h("tr", {
      class: name === field ? "focus-field" : null,
    }, h("th", { scope: "row" }, name), h("td", { class: "value" }, value === null ? "" : String(value))))))];
}

function members(detail) {
  if (Array.isArray(detail.members) && detail.members.length) return detail.members;
  const proposal = detail.item.proposal;
  if (!proposal) return [];
  return proposal.members.map((id) => ({ record_id: id, values: null, primary: id === proposal.suggested_primary }));
}

function winners(detail) {
  if (Array.isArray(detail.winners)) return detail.winners;
  const proposal = detail.item.proposal;
  return proposal ? Object.entries(proposal.field_winners || {}).map(([field, w]) => ({
    field, value: w.value, record_id: w.source_record, why: w.rule,
  })) : [];
}

function merge(detail) {
  const list = members(detail);
  const wins = winners(detail);
  const byField = new Map(wins.map((w) => [w.field, w]));
  const decidable = statusOf(detail.item).decidable;
  shown.primary = shown.primary || (list.find((m) => m.primary) || list[0] || {}).record_id || null;
  const fields = [...new Set([...wins.map((w) => w.field), ...list.flatMap((m) => Object.keys(m.values || {}))])];
  const suggested = detail.item.proposal ? detail.item.proposal.suggested_primary : null;
  const head = h("tr", {}, h("th", { scope: "col" }, "Field"), list.map((m) => h("th", {
    scope: "col", class: m.record_id === shown.primary ? "primary" : null, dataset: { member: m.record_id },
  }, h("label", {}, decidable ? h("input", {
    type: "radio", name: "primary", value: m.record_id, checked: m.record_id === shown.primary,
    onchange: () => open(detail.item, { primary: m.record_id, then: () => $("approve-merge").focus() }),
  }) : null, h("span", {}, m.record_id)), m.record_id === suggested ? h("span", { class: "badge ok" }, "suggested") : null,
  decidable ? h("span", { class: "sr-only" }, " keep as the primary record") : null)));
  const rows = fields.map((field) => h("tr", {}, h("th", { scope: "row" }, field), list.map((m) => {
    const win = byField.get(field);
    const isWinner = Boolean(win && win.record_id === m.record_id);
    const value = m.values ? m.values[field] : (isWinner ? win.value : "");
    return h("td", { class: isWinner ? "value winner" : "value" }, value === null || value === undefined ? "" : String(value));
  })));
  const valuesMissing = list.some((m) => !m.values);
  return [h("h3", {}, "Records side by side"),
    valuesMissing ? h("p", { class: "muted small" }, "Member values are not available from this API version; the winners are shown.") : null,
    h("div", { class: "table-scroll" }, h("table", { class: "values merge", "aria-label": "Merge members side by side" },
      h("thead", {}, head), h("tbody", {}, rows))),
    wins.length ? [h("h3", {}, "Field winners"), h("ul", { class: "evidence small" }, wins.map((w) => h("li", {},
      h("b", {}, w.field), `: ${w.value === "" ? "(empty)" : w.value} from ${w.record_id} (${w.why})`)))] : null];
}

function actions(detail) {
  const { item } = detail;
  const status = statusOf(item);
  const buttons = [];
  if (status.decidable) {
    if (isMerge(item)) {
      buttons.push(h("button", { type: "button", class: "ok", id: "approve-merge", onclick: () => approve(item) },
        `Approve merge into ${shown.primary || item.record_id}`));
    } else {
      buttons.push(h("button", { type: "button", class: "ok", id: "approve", onclick: () => approve(item), "aria-keyshortcuts": "a" }, "Approve"));
    }
    buttons.push(h("button", { type: "button", class: "bad", onclick: () => reject(item), "aria-keyshortcuts": "r" }, "Reject…"));
  }
  if (status.rollback && isMerge(item)) {
    buttons.push(h("button", { type: "button", class: "bad", onclick: () => unmerge(item) }, "Unmerge…"));
  } else if (status.rollback) {
    buttons.push(h("button", { type: "button", class: "bad", onclick: () => rollbackChange(item) }, "Roll back this change…"));
  }
  if (item.run_id) {
    buttons.push(h("button", { type: "button", onclick: () => rollbackRun(item.run_id) }, `Roll back run ${item.run_id}…`));
  }
  return [h("div", { class: "actions" }, buttons), editable(item) ? editForm(item) : null];
}

function editForm(item) {
  const input = h("input", {
    id: "edit-value", type: "text", value: item.final_value ?? item.suggested_value ?? "", autocomplete: "off",
    spellcheck: "false", maxlength: 2000, "aria-describedby": "edit-errors edit-hint",
  });
  const form = h("form", { class: "edit-form", id: "edit-form", "aria-label": `Edit ${item.field}` },
    h("label", { for: "edit-value" }, `New value for ${item.field}`),
    input,
    h("p", { id: "edit-hint", class: "muted small" }, "Checked against the standard before anything is written."),
    h("ul", { id: "edit-errors", class: "field-errors", "aria-live": "assertive" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", "aria-keyshortcuts": "e" }, "Save and approve")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    edit(item, input.value);
  });
  return form;
}

/** Focuses the edit field of the shown item (the `e` shortcut). */
export function focusEdit() {
  const input = $("edit-value");
  if (!input) return false;
  input.focus();
  input.select();
  return true;
}

function history(detail) {
  const entries = [...(detail.history || [])].reverse();
  return [h("h3", {}, `History (${entries.length})`),
    entries.length ? h("ol", { class: "history" }, entries.map((e) => h("li", { class: e.verified === false ? "unverified" : null },
      h("span", { class: "when" }, when(e.at)), " ", h("b", {}, e.action), ` by ${e.actor}`,
      e.field ? [" · ", e.field] : null,
      e.before !== null || e.after !== null ? [": ", h("span", { class: "value" }, e.before ?? "∅"), " → ", h("span", { class: "value" }, e.after ?? "∅")] : null,
      e.reason ? h("div", { class: "muted" }, e.reason) : null,
      h("div", { class: e.verified === false ? "badge bad" : e.verified ? "badge ok" : "badge" }, e.verification || "not checked"))))
      : h("p", { class: "muted" }, "No audit entries for this record yet.")];
}

async function decide(item, decision, done) {
  try {
    const result = await api(`/reviews/${encodeURIComponent(item.review_id)}/decision`, { method: "POST", body: decision });
    ctx.say(done(result));
    await ctx.afterChange();
    return result;
  } catch (error) {
    ctx.shout(`${item.object_type} ${item.record_id}: ${describe(error)}`);
    throw error;
  }
}

const label = (item) => `${item.object_type} ${item.record_id}${item.field ? ` ${item.field}` : ""}`;

export async function approve(item) {
  const body = { decision: "approve" };
  const open = shown.detail && shown.detail.item.review_id === item.review_id;
  const primary = isMerge(item) && open ? shown.primary : null;
  if (primary && primary !== (item.proposal || {}).suggested_primary) body.primary_id = primary;
  try {
    await decide(item, body, (r) => `Approved ${label(item)}${body.primary_id ? `, keeping ${body.primary_id}` : ""}: ${statusOf(r).label || r.status}.`);
  } catch { /* shown */ }
}

export async function reject(item) {
  const note = await askDialog({
    title: `Reject ${label(item)}?`, body: "The rejection is remembered, so the same proposal is not raised again.",
    confirm: "Reject", field: { label: "Why (optional)", multiline: true },
  });
  if (note === null) return;
  const body = note.trim() ? { decision: "reject", note: note.trim() } : { decision: "reject" };
  try { await decide(item, body, () => `Rejected ${label(item)}.`); } catch { /* shown */ }
}

export async function edit(item, value) {
  const input = $("edit-value");
  const errors = $("edit-errors");
  fill(errors);
  input.removeAttribute("aria-invalid");
  try {
    await decide(item, { decision: "edit_and_approve", value }, () => `Saved ${label(item)} as “${value}” and approved.`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 422 || !input.isConnected) return;
    input.setAttribute("aria-invalid", "true");
    const details = error.details.length ? error.details : [{ message: error.message, rule: error.code }];
    fill(errors, details.map((d) => h("li", {}, d.message, d.rule ? h("span", { class: "muted" }, ` (${d.rule})`) : null)));
    if (error.details.length) errors.prepend(h("li", {}, error.message));
    input.focus();
  }
}

async function rollbackChange(item) {
  const ok = await confirmDialog({
    title: `Roll back this change to ${label(item)}?`,
    body: [`The CRM gets its value from before the change back: “${item.current_value}”.`, "The rollback is audited."],
    confirm: "Roll back", danger: true,
  });
  if (!ok) return;
  try {
    const result = await api(`/changes/${encodeURIComponent(item.review_id)}/rollback`, { method: "POST" });
    ctx.say(`Rolled back ${label(item)}: ${statusOf(result).label || result.status}.`);
    await ctx.afterChange();
  } catch (error) {
    ctx.shout(`Rollback of ${label(item)}: ${describe(error)}`);
  }
}

export async function unmerge(item) {
  const ok = await confirmDialog({
    title: `Unmerge ${item.object_type} ${item.record_id}?`,
    body: ["The merged-away records come back from their before-images, and the survivor's fields return to their values before the merge where nobody changed them since (conflicts go to review).",
      "The unmerge is audited. It can be done once."],
    confirm: "Unmerge", danger: true,
  });
  if (!ok) return;
  try {
    const result = await api(`/merges/${encodeURIComponent(item.review_id)}/unmerge`, { method: "POST" });
    const restored = (result.restored || []).map((r) => (r.old_id === r.new_id ? r.new_id : `${r.old_id} → ${r.new_id}`));
    const fields = result.survivor_restored || [];
    const conflicts = result.conflicts || [];
    ctx.say(`Unmerged: restored ${restored.join(", ") || "no records"}` +
      (fields.length ? `; survivor fields restored: ${fields.join(", ")}` : "") +
      (conflicts.length ? `; ${conflicts.length} conflict(s) sent to review` : "") + ".");
    await ctx.afterChange();
  } catch (error) {
    const why = missing(error) && error.message === "no such route" ? "this API has no unmerge route yet" : describe(error);
    ctx.shout(`Unmerge of ${item.record_id}: ${why}`);
  }
}

export async function rollbackRun(runId) {
  const ok = await confirmDialog({
    title: `Roll back run ${runId}?`,
    body: ["Every change this run applied is rolled back, newest first, as a background job; merges are unmerged.",
      "Each rollback is audited. Values changed since in the CRM are left alone and reported."],
    confirm: "Roll back the run", danger: true,
  });
  if (!ok) return;
  try {
    const job = await api(`/runs/${encodeURIComponent(runId)}/rollback`, { method: "POST" });
    ctx.say(`Rolling back run ${runId} (job ${job.job_id}).`);
    const last = await followJob(job, `Rollback of run ${runId}`, ctx.say);
    if (last) ctx.say(`Rollback of run ${runId}: ${last.status.replace("_", " ")}, ${number(last.done)} done, ${number(last.errors)} failed.`, last.status !== "succeeded");
    await ctx.afterChange();
  } catch (error) {
    ctx.shout(`Rollback of run ${runId}: ${describe(error)}`);
  }
}
