// Background jobs (a run's rollback, large or by-filter bulk decisions): 202 with a Job, then its
// progress at GET /jobs/{job_id} until it ends. Each job shows as a line with a progress bar.
import { api, describe } from "./api.js";
import { $, h } from "./dom.js";

const ENDED = new Set(["succeeded", "partly_failed", "failed"]);
const POLL_MS = 1000;

function words(job) {
  const total = job.total === null || job.total === undefined ? "?" : job.total;
  const base = `${job.status.replace("_", " ")}: ${job.done} of ${total} done`;
  const errors = job.errors ? `, ${job.errors} failed` : "";
  const failure = job.failure ? ` (stopped: ${job.failure})` : "";
  return base + errors + failure;
}

/** Shows `job` and polls it until it ends; resolves the last Job seen. */
export function followJob(job, label, say) {
  const section = $("jobs");
  section.hidden = false;
  const bar = h("progress", { max: 1, value: 0, "aria-label": `${label} progress` });
  const text = h("span", { class: "job-text" });
  const close = h("button", { type: "button", class: "ghost", hidden: true, "aria-label": `Dismiss ${label}` }, "×");
  const line = h("div", { class: "job", dataset: { jobId: job.job_id, jobStatus: job.status } },
    h("b", {}, label), bar, text, close);
  close.addEventListener("click", () => {
    line.remove();
    if (!section.children.length) section.hidden = true;
  });
  section.append(line);

  const show = (current) => {
    line.dataset.jobStatus = current.status;
    if (current.total) { bar.max = current.total; bar.value = current.done + current.errors; }
    else bar.removeAttribute("value"); // indeterminate until the job is planned
    text.textContent = words(current);
  };
  show(job);
  return new Promise((resolve) => {
    let failures = 0;
    const poll = async () => {
      try {
        const current = await api(`/jobs/${encodeURIComponent(job.job_id)}`);
        failures = 0;
        show(current);
        if (ENDED.has(current.status)) {
          close.hidden = false;
          say(`${label}: ${words(current)}`, current.status !== "succeeded");
          resolve(current);
          return;
        }
      } catch (error) {
        failures += 1;
        text.textContent = `progress unknown: ${describe(error)}`;
        if (failures >= 5) { close.hidden = false; resolve(null); return; }
      }
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  });
}
