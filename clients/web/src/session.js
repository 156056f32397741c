// Signing in and the user's profile, over Plaza's HTTP API (docs/protocol.md section 16).
// The token is kept in sessionStorage: a reload within the server's 30 s grace period
// reconnects with it and takes the same avatar back, and closing the tab forgets it.

const TOKEN_KEY = "plaza.token";
const LOCALE_KEY = "plaza.locale";

/** The i18n key of the message for a refusal code from the API. */
const REFUSAL_KEYS = { banned: "banned", full: "full", shutting_down: "shuttingDown" };

/** An HTTP refusal with the server's machine-readable code and human reason. */
export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.reason = reason ?? "";
    /** What to tell the user (an i18n key). */
    this.key =
      REFUSAL_KEYS[code] ?? (status === 401 && /expired/.test(this.reason) ? "expired" : "refused");
  }
}

async function call(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data?.error, data?.reason);
  return data;
}

/** Where to connect and the entrance zone's layout: GET /api/config. */
export function fetchConfig() {
  return call("GET", "/api/config");
}

/**
 * One zone's layout for drawing and listing: GET /api/zones/scene?name=<zone>. Returns
 * {zone, scene} (`zone` as in WELCOME, `scene` as in /api/config).
 */
export function fetchZoneScene(name) {
  return call("GET", `/api/zones/scene?name=${encodeURIComponent(name)}`);
}

/** A guest token: POST /api/auth/guest. Returns {token, subject, name, locale, ws_url}. */
export function signInGuest(name, locale) {
  return call("POST", "/api/auth/guest", { body: { name, locale } });
}

/** A fresh token for the holder of a valid one (Plaza's own tokens). */
export async function refreshToken(token) {
  const data = await call("POST", "/api/auth/refresh", { token });
  return data.token;
}

/**
 * Would the WebSocket accept this token now? Browsers cannot read why an upgrade was
 * refused, so the reason is asked for here. Resolves when it would; throws ApiError (with a
 * `key` for the message: banned, full, expired, shuttingDown, refused) when not.
 */
export function checkAccess(token) {
  return call("GET", "/api/auth/check", { token });
}

/** The signed-in user's profile (made on first use). */
export function fetchProfile(token) {
  return call("GET", "/api/profile", { token });
}

/** Change profile fields: display_name, locale, appearance, captions, reduced_motion, ... */
export function saveProfile(token, changes) {
  return call("PUT", "/api/profile", { token, body: changes });
}

/** The token kept for this tab, if any. */
export function storedToken() {
  return globalThis.sessionStorage?.getItem(TOKEN_KEY) || null;
}

/** Keep (or with null, forget) the token for this tab. */
export function storeToken(token) {
  if (!globalThis.sessionStorage) return;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The language last chosen on this device. */
export function storedLocale() {
  return globalThis.localStorage?.getItem(LOCALE_KEY) || null;
}

/** Remember the language on this device (the profile keeps it across devices). */
export function storeLocale(locale) {
  globalThis.localStorage?.setItem(LOCALE_KEY, locale);
}

/** The seconds left on a JWT (0 if it cannot be read), without verifying it. */
export function secondsLeft(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return Math.max(0, payload.exp - Date.now() / 1000);
  } catch {
    return 0;
  }
}
