// The review API as the console calls it: JSON in and out, every error an ErrorBody
// {code, message, details}, the reviewer's identity on every request, and one live request per view.

const REVIEWER_KEY = "crm-hygiene.reviewer";
const TOKEN_KEY = "crm-hygiene.id_token";
// What the API Gateway header (and the audit trail) accepts as a typed name: printable ASCII only.
export const REVIEWER_PATTERN = /^[A-Za-z0-9 ._@+-]{1,64}$/;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && typeof body.message === "string" && body.message) || `the API answered HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = (body && body.code) || `http_${status}`;
    this.details = Array.isArray(body && body.details) ? body.details : [];
  }
}

/** After the Cognito hosted UI's redirect (`#id_token=...`): keep the token for this tab only and take
 * it out of the address bar and the history. */
export function takeTokenFromUrl() {
  const fragment = location.hash.startsWith("#") ? location.hash.slice(1) : "";
  if (!fragment.includes("id_token=")) return false;
  const token = new URLSearchParams(fragment).get("id_token");
  history.replaceState(null, "", location.pathname + location.search);
  if (!token) return false;
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

export const identity = {
  reviewer: () => localStorage.getItem(REVIEWER_KEY) || "",
  setReviewer(name) {
    const value = name.trim();
    if (!value) localStorage.removeItem(REVIEWER_KEY);
    else if (REVIEWER_PATTERN.test(value)) localStorage.setItem(REVIEWER_KEY, value);
    else return false;
    return true;
  },
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Calls the API at `path` (relative to the console's base, which carries API Gateway's stage). */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const reviewer = identity.reviewer();
  if (reviewer) headers["x-reviewer"] = reviewer;
  const token = identity.token();
  // the ID token itself: a REST API Cognito user-pool authorizer reads the header as the token
  if (token) headers.authorization = token;
  const url = new URL(path.replace(/^\//, ""), document.baseURI);
  const response = await fetch(url, {
    method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Query string from the set values only. */
export function query(params) {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) out.set(key, String(value));
  }
  const text = out.toString();
  return text ? `?${text}` : "";
}

/** One live request per view: starting a new one aborts the one before, and `current()` says whether
 * an answer is still the newest, so a slow answer never overwrites a newer one. */
export function latest() {
  let controller = null;
  let seq = 0;
  return {
    start() {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++seq;
      return { signal: controller.signal, seq: mine, current: () => mine === seq };
    },
    cancel() {
      if (controller) controller.abort();
      seq++;
    },
  };
}

export const aborted = (error) => error && error.name === "AbortError";

/** A route this API may not have yet (an older deployment): 404 / 405 on a feature route. */
export const missing = (error) => error instanceof ApiError && (error.status === 404 || error.status === 405);

/** The error in words, with the precise problems the API named. */
export function describe(error) {
  if (!(error instanceof ApiError)) return error && error.message ? error.message : String(error);
  if (error.status === 401 || error.status === 403) {
    return `${error.message} (HTTP ${error.status}): sign in again or check the reviewer identity`;
  }
  const details = error.details.map((d) => d.message).filter(Boolean);
  return details.length ? `${error.message}: ${details.join("; ")}` : error.message;
}
