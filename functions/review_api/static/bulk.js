// Bulk decisions: on the selection (POST /reviews/decisions: up to 200 answered at once, more as a job)
// or on everything matching the filters (POST /reviews/decisions/by-filter, always a job). Confirmed
// first, with how many items it touches; a job's progress shows until it ends.
import { api, describe, missing } from "./api.js";
import { askDialog, confirmDialog } from "./dialogs.js";
import { $, number } from "./dom.js";
import { followJob } from "./jobs.js";
import { clearSelection, filterBody, state } from "./queue.js";

let ctx = null;
const VERBS = { approve: "Approve", reject: "Reject", edit_and_approve: "Edit and approve" };

export function init(context) {
  ctx = context;
  for (const button of document.querySelectorAll("[data-bulk]")) {
    button.addEventListener("click", () => run(button.dataset.bulk, button.dataset.scope));
  }
  $("bulk-clear").addEventListener("click", () => { clearSelection(); ctx.say("Selection cleared."); });
}

function describeFilter() {
  const parts = Object.entries(filterBody()).map(([key, value]) => `${key.replace("_", " ")} ${key === "q" ? `“${value}”` : value}`);
  return parts.length ? parts.join(", ") : "no filter: the whole queue";
}

async function decision(kind, count, scope) {
  const what = scope === "filter"
    ? `${state.total === null ? "every" : number(state.total)} item(s) matching ${describeFilter()}`
    : `${number(count)} selected item(s)`;
  if (kind === "approve") {
    const ok = await confirmDialog({ title: `Approve ${what}?`, body: "Each change is validated and audited before it is written.", confirm: "Approve all", danger: scope === "filter" });
    return ok ? { decision: "approve" } : null;
  }
  if (kind === "reject") {
    const note = await askDialog({ title: `Reject ${what}?`, body: "Rejections are remembered, so these proposals are not raised again.", confirm: "Reject all", field: { label: "Why (optional)", multiline: true } });
    if (note === null) return null;
    return note.trim() ? { decision: "reject", note: note.trim() } : { decision: "reject" };
  }
  const value = await askDialog({ title: `Write one value to ${what}?`, body: "Items whose field refuses the value fail one by one; the others are written.", confirm: "Write and approve", field: { label: "Value", required: true } });
  return value === null ? null : { decision: "edit_and_approve", value };
}

async function run(kind, scope) {
  const selected = [...state.selected.keys()];
  if (scope === "selection" && !selected.length) { ctx.say("Select some items first (x, or the checkboxes)."); return; }
  const body = await decision(kind, selected.length, scope);
  if (!body) return;
  const verb = VERBS[kind];
  try {
    if (scope === "filter") {
      const job = await api("/reviews/decisions/by-filter", { method: "POST", body: { filter: filterBody(), decision: body } });
      ctx.say(`${verb}: everything matching ${describeFilter()} (job ${job.job_id}).`);
      await followJob(job, `${verb} by filter`, ctx.say);
    } else {
      const answer = await api("/reviews/decisions", {
        method: "POST", body: { decisions: selected.map((review_id) => ({ review_id, decision: body })) },
      });
      if (answer && answer.job_id) {
        ctx.say(`${verb}: ${number(selected.length)} items as a background job (${answer.job_id}).`);
        await followJob(answer, `${verb} ${number(selected.length)} selected`, ctx.say);
      } else {
        const failed = answer.results.filter((r) => r.status === "error");
        const first = failed.length ? `; first failure (${failed[0].review_id}): ${failed[0].error}` : "";
        ctx.say(`${verb}: ${number(answer.results.length - failed.length)} done, ${number(failed.length)} failed${first}.`, failed.length > 0);
      }
      clearSelection();
    }
  } catch (error) {
    const why = scope === "filter" && missing(error) && error.message === "no such route"
      ? "this API has no POST /reviews/decisions/by-filter yet" : describe(error);
    ctx.shout(`${verb} failed: ${why}`);
  }
  await ctx.afterChange();
}
