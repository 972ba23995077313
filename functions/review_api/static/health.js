// Health over runs (GET /health/history; GET /health when the trend is not available): a small inline
// SVG chart per object type with the same figures as a table, each run with its rollback and its items;
// and "Scan now" (POST /scans, progress at GET /scans/{scan_id}).
import { aborted, api, describe, latest, missing } from "./api.js";
import { $, fill, h, number, s, when } from "./dom.js";
import { rollbackRun } from "./detail.js";
import { setFilters } from "./queue.js";

let ctx = null;
const requests = latest();
const SCAN_POLL_MS = 2000;
const W = 640;
const H = 220;
const PAD = { left: 40, right: 16, top: 14, bottom: 28 };

export function init(context) {
  ctx = context;
  $("scan-now").addEventListener("click", scanNow);
}

export async function load() {
  const request = requests.start();
  const target = $("health");
  target.setAttribute("aria-busy", "true");
  try {
    const answer = await api("/health/history?limit=60", { signal: request.signal });
    if (!request.current()) return;
    renderHistory(answer.runs || []);
  } catch (error) {
    if (aborted(error) || !request.current()) return;
    if (!missing(error)) { fill(target, h("p", { class: "alert" }, `Health could not be loaded: ${describe(error)}`)); return; }
    await latestOnly(request);
  } finally {
    if (request.current()) target.setAttribute("aria-busy", "false");
  }
}

async function latestOnly(request) {
  const target = $("health");
  try {
    const answer = await api("/health", { signal: request.signal });
    if (!request.current()) return;
    fill(target,
      h("p", { class: "muted" }, "The trend over runs is not available from this API version (GET /health/history); the latest figures:"),
      h("div", { class: "cards" }, Object.entries(answer).map(([type, figures]) => h("div", { class: "card" },
        h("div", { class: "muted" }, type),
        figures ? [h("b", {}, (figures.health || {}).mean ?? "–"), h("div", { class: "small" },
          `${number(figures.records)} records · ${number(figures.queue_volume)} queued`)] : h("div", {}, "not scanned yet")))));
  } catch (error) {
    if (aborted(error) || !request.current()) return;
    fill(target, h("p", { class: "alert" }, `Health could not be loaded: ${describe(error)}`));
  }
}

function renderHistory(runs) {
  const target = $("health");
  if (!runs.length) {
    fill(target, h("p", { class: "muted" }, "No runs yet: start one with “Scan now”."));
    return;
  }
  const types = [...new Set(runs.map((r) => r.object_type))];
  fill(target, chart(runs, types), legend(types), table(runs));
}

function legend(types) {
  return h("div", { class: "legend", "aria-hidden": "true" }, types.map((t) => h("span", {}, h("span", { class: `swatch s-${t}` }), t)));
}

function chart(runs, types) {
  const times = [...new Set(runs.map((r) => r.at))].sort();
  const values = runs.map((r) => Number(r.health)).filter((v) => Number.isFinite(v));
  const low = Math.max(0, Math.floor((Math.min(...values) - 2) / 5) * 5);
  const high = 100;
  const x = (at) => PAD.left + (times.length === 1 ? (W - PAD.left - PAD.right) / 2
    : (times.indexOf(at) / (times.length - 1)) * (W - PAD.left - PAD.right));
  const y = (v) => PAD.top + (1 - (v - low) / (high - low || 1)) * (H - PAD.top - PAD.bottom);
  const ticks = [low, (low + high) / 2, high];
  const summary = types.map((t) => {
    const series = runs.filter((r) => r.object_type === t);
    return `${t} ${series[0].health} to ${series[series.length - 1].health}`;
  }).join("; ");
  return s("svg", {
    class: "chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": `Health (0 to 100) over ${times.length} run(s): ${summary}. The table below has every figure.`,
  },
  ticks.map((v) => [s("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
    s("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, String(v))]),
  s("line", { class: "axis", x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom }),
  s("text", { x: PAD.left, y: H - 8 }, when(times[0]).slice(0, 16)),
  times.length > 1 ? s("text", { x: W - PAD.right, y: H - 8, "text-anchor": "end" }, when(times[times.length - 1]).slice(0, 16)) : null,
  types.map((t) => {
    const series = runs.filter((r) => r.object_type === t && Number.isFinite(Number(r.health)));
    const points = series.map((r) => `${x(r.at).toFixed(1)},${y(Number(r.health)).toFixed(1)}`).join(" ");
    return s("g", { class: `s-${t}`, "data-series": t },
      s("polyline", { points, fill: "none", "stroke-width": 2 }),
      series.map((r) => s("circle", { cx: x(r.at).toFixed(1), cy: y(Number(r.health)).toFixed(1), r: 3.5, "stroke-width": 2, fill: "#fff" },
        s("title", {}, `${t} · ${when(r.at)} · health ${r.health} · ${number(r.records)} records`))));
  }));
}

function table(runs) {
  const rows = [...runs].reverse().map((r) => h("tr", {},
    h("td", {}, when(r.at)), h("td", {}, r.object_type), h("td", { class: "num" }, String(r.health)),
    h("td", { class: "num" }, number(r.records)), h("td", { class: "num" }, number(r.queue_volume)),
    h("td", {}, h("button", { type: "button", class: "ghost", onclick: () => { setFilters({ run_id: r.run_id }); ctx.show("queue"); } }, `Items of ${r.run_id}`),
      " ", h("button", { type: "button", class: "bad", onclick: () => rollbackRun(r.run_id) }, "Roll back…"))));
  return h("table", { class: "runs", "aria-label": "Health per run" },
    h("thead", {}, h("tr", {}, ["When", "Object", "Health", "Records", "Queued", "Run"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows));
}

async function scanNow() {
  const button = $("scan-now");
  const out = $("scan-progress");
  button.disabled = true;
  try {
    const scan = await api("/scans", { method: "POST", body: {} });
    out.dataset.scanStatus = scan.status;
    out.textContent = `Scan ${scan.scan_id} ${scan.status}, started ${when(scan.started_at)}.`;
    const last = await follow(scan);
    ctx.say(`Scan ${scan.scan_id}: ${last.status}.`, last.status !== "succeeded");
    load();
    ctx.afterChange();
  } catch (error) {
    const why = missing(error) && error.message === "no such route" ? "this API has no POST /scans yet" : describe(error);
    out.textContent = "";
    ctx.shout(`Scan now failed: ${why}`);
  } finally {
    button.disabled = false;
  }
}

async function follow(scan) {
  const out = $("scan-progress");
  let current = scan;
  const began = Date.now();
  let failures = 0;
  while (current.status === "running") {
    await new Promise((resolve) => setTimeout(resolve, SCAN_POLL_MS));
    try {
      current = await api(`/scans/${encodeURIComponent(scan.scan_id)}`);
      failures = 0;
    } catch (error) {
      out.textContent = `Scan ${scan.scan_id}: progress unknown (${describe(error)}).`;
      failures += 1;
      if (failures >= 5) return { ...current, status: "unknown" };
      continue;
    }
    out.dataset.scanStatus = current.status;
    out.textContent = `Scan ${scan.scan_id} ${current.status} for ${Math.round((Date.now() - began) / 1000)} s.`;
  }
  const objects = current.objects ? Object.entries(current.objects).map(([type, o]) =>
    `${type}: ${number(o.records)} records, ${number(o.queue_volume)} queued`).join("; ") : "";
  out.textContent = `Scan ${scan.scan_id} ${current.status}${current.stopped_at ? ` at ${when(current.stopped_at)}` : ""}${objects ? `: ${objects}` : ""}.`;
  return current;
}
