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

/** An idempotency key: 32 letters and digits (a random UUID without its dashes). */
export function newKey(random = globalThis.crypto) {
  if (random?.randomUUID) return random.randomUUID().replaceAll("-", "");
  let key = "";
  while (key.length < 32) key += Math.floor(Math.random() * 36).toString(36);
  return key;
}

/** Whether a failed request may be sent again as it was: a network error or a 502/503/504. */
export function retriable(error) {
  const status = error?.status;
  return status === 0 || status === undefined || status === 502 || status === 503 || status === 504;
}

/** Renew a token when it has less than this left, in seconds (Plaza's tokens live 15 minutes). */
export const RENEW_BEFORE_S = 120;

/**
 * An HTTP client for pages that hold one signed-in user's bearer token for long (the 120
 * Center's pages, the organizer console): every call sends the token and renews it shortly
 * before it expires, so a desk left open all shift stays signed in. Pages extend it with
 * their endpoints; `token` stays a plain property because a page may hand it a fresher
 * token it got elsewhere (the 3D presence's own renewal).
 */
export class BearerClient {
  /**
   * @param {string|null} token the bearer token (null: calls go without one)
   * @param {{fetch?: typeof fetch, remember?: boolean}} [options] `fetch` for the tests;
   *   `remember`: keep a renewed token for this tab (sessionStorage), so a reload resumes
   *   with it rather than with the one about to expire
   */
  constructor(token, { fetch: fetchImpl = globalThis.fetch?.bind(globalThis), remember = true } = {}) {
    this.token = token;
    this.#fetch = fetchImpl;
    this.#remember = remember;
  }

  #fetch;
  #remember;
  #renewing = null;

  async #renew() {
    const left = secondsLeft(this.token);
    // 0 is also "unreadable": an OIDC token is not ours to renew.
    if (!this.token || left === 0 || left > RENEW_BEFORE_S) return;
    // Calls made while a renewal is under way wait for it rather than each renewing, which
    // would spend the old token several times and race on which new one is kept.
    this.#renewing ??= this.#fetch("/api/auth/refresh", {
      method: "POST",
      headers: { Authorization: `Bearer ${this.token}` },
      cache: "no-store",
    })
      .then(async (response) => {
        if (!response.ok) return;
        const { token } = await response.json();
        if (!token) return;
        this.token = token;
        if (this.#remember) storeToken(token);
      })
      .catch(() => {}) // an OIDC token, or the server away: use the old one while it lasts
      .finally(() => {
        this.#renewing = null;
      });
    await this.#renewing;
  }

  /**
   * One request: the parsed JSON answer (null for an empty one), or ApiError with the
   * server's {error, reason} and status, or status 0 when the server could not be reached.
   * @param {string} method
   * @param {string} path
   * @param {object} [body] sent as JSON
   * @param {{headers?: Record<string, string>}} [options] headers of this call only
   */
  async call(method, path, body = undefined, { headers: extra = {} } = {}) {
    await this.#renew();
    const headers = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, extra);
    let response;
    try {
      response = await this.request(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(0, "network_error", String(error?.message ?? error));
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null; // a proxy's HTML error page: its status and first words still tell
    }
    if (!response.ok) throw new ApiError(response.status, data?.error, data?.reason ?? text.slice(0, 200));
    return data;
  }

  /**
   * Send one call's request. A subclass may wrap it to read every answer of its own calls
   * (the organizer console sets its server clock from the `Date` header); the token's
   * renewal does not go through it.
   * @param {string} path
   * @param {RequestInit} init
   * @returns {Promise<Response>}
   */
  request(path, init) {
    return this.#fetch(path, init);
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
