// Signing in with Cognito's hosted UI (deployed with `-c cognito=true`; docs/deploy.md): the
// authorization code flow with PKCE for a public client. GET /auth/config says whether and where; the
// code comes back as `?code=&state=`, is exchanged with the verifier at the token endpoint, and the ID
// token is kept for this tab only (sessionStorage) and sent, as it is, in `Authorization`. A token in the
// fragment (`#id_token=`, an implicit-flow redirect) is taken too. Locally there is nothing to do.
import { api, identity, takeTokenFromUrl } from "./api.js";

const VERIFIER = "crm-hygiene.pkce_verifier";
const STATE = "crm-hygiene.pkce_state";
let config = { mode: "none" };

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function challenge(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

/** Sends the browser to the hosted UI (the page reloads here with a code). */
export async function signIn() {
  if (config.mode !== "cognito") return;
  const verifier = random();
  const state = random();
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const url = new URL(config.authorize_url);
  url.search = new URLSearchParams({
    response_type: "code", client_id: config.client_id, redirect_uri: config.redirect_uri,
    scope: (config.scopes || []).join(" "), state, code_challenge: await challenge(verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

async function exchange(code, state) {
  const expected = sessionStorage.getItem(STATE);
  const verifier = sessionStorage.getItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  if (!expected || state !== expected || !verifier) throw new Error("the sign-in answer does not match this tab's request; sign in again");
  const response = await fetch(config.token_url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: config.client_id, code, redirect_uri: config.redirect_uri,
      code_verifier: verifier,
    }),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !tokens.id_token) throw new Error(`sign-in failed (${tokens.error || response.status})`);
  sessionStorage.setItem("crm-hygiene.id_token", tokens.id_token);
}

/** Before the first API call: takes a token the URL brings, else signs in when the API wants it.
 * Resolves true when the console may go on, false while the browser goes to the sign-in page. */
export async function ensureSignedIn() {
  takeTokenFromUrl();
  try { config = await api("/auth/config"); } catch { config = { mode: "none" }; }
  if (config.mode !== "cognito") return true;
  const params = new URLSearchParams(location.search);
  if (params.has("code")) {
    history.replaceState(null, "", location.pathname); // the code is single-use: out of the address bar
    await exchange(params.get("code"), params.get("state"));
    return true;
  }
  if (identity.token()) return true;
  await signIn();
  return false;
}

export const signedInWithCognito = () => config.mode === "cognito";

/** Forgets the token; with Cognito, also ends the hosted UI's session. */
export function signOut() {
  identity.signOut();
  if (config.mode === "cognito" && config.logout_url) {
    const url = new URL(config.logout_url);
    url.search = new URLSearchParams({ client_id: config.client_id, logout_uri: config.redirect_uri }).toString();
    location.assign(url.toString());
  }
}
