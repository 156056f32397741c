// The HTTP calls of the organizer console (docs/events.md, docs/protocol.md §16, §18, §20).
// Every call sends the bearer token, renews it shortly before it expires (Plaza's own
// tokens), feeds each answer's `Date` header to the server clock, and throws ApiError: the
// server's {error, reason} with its status, or status 0 for a network error.
import { ApiError, secondsLeft, storeToken } from "../session.js";
import { ServerClock } from "./format.js";

/** Renew the token when it has less than this left (tokens live 15 minutes). */
const RENEW_BEFORE_S = 120;

export { ApiError };

/** The organizer's API, as one signed-in user. */
export class EventsApi {
  /**
   * @param {string} token the bearer token
   * @param {{fetch?: typeof fetch, clock?: ServerClock, remember?: boolean,
   *   now?: () => number}} [options] `remember`: keep a renewed token for this tab
   */
  constructor(
    token,
    { fetch: fetchImpl = globalThis.fetch?.bind(globalThis), clock = new ServerClock(), remember = true, now = () => Date.now() } = {},
  ) {
    this.token = token;
    this.clock = clock;
    this.#fetch = fetchImpl;
    this.#remember = remember;
    this.#now = now;
  }

  #fetch;
  #remember;
  #now;
  #renewing = null;

  async #renew() {
    const left = secondsLeft(this.token);
    if (!this.token || left === 0 || left > RENEW_BEFORE_S) return;
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
   * One request: the parsed JSON answer, or ApiError.
   * @param {string} method
   * @param {string} path
   * @param {object} [body]
   * @param {{key?: string}} [options] `key`: an Idempotency-Key header
   */
  async call(method, path, body = undefined, { key } = {}) {
    await this.#renew();
    const headers = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    let response;
    const sent = this.#now();
    try {
      response = await this.#fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(0, "network_error", String(error?.message ?? error));
    }
    this.clock.sample(response.headers?.get?.("date") ?? null, sent, this.#now());
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, data?.error, data?.reason ?? text.slice(0, 200));
    return data;
  }

  /** Who the token is: {ok, subject, role, expires_at}. */
  check() {
    return this.call("GET", "/api/auth/check");
  }

  // -- the schedule ------------------------------------------------------------------------

  /** Upcoming and live events, soonest first. */
  async events() {
    return (await this.call("GET", "/api/events"))?.events ?? [];
  }

  createEvent(body) {
    return this.call("POST", "/api/events", body);
  }

  /** {id, ...the fields to change} */
  updateEvent(id, changes) {
    return this.call("POST", "/api/events/update", { id, ...changes });
  }

  cancelEvent(id) {
    return this.call("POST", "/api/events/cancel", { id });
  }

  gates(id, open) {
    return this.call("POST", "/api/events/gates", { id, open });
  }

  // -- moments -----------------------------------------------------------------------------

  /** Moments still to fire (and those fired in the last 10 s), soonest first. */
  async moments() {
    return (await this.call("GET", "/api/events/moments"))?.moments ?? [];
  }

  /** {event, kind, at, label?, count?, every_s?} */
  scheduleMoment(body) {
    return this.call("POST", "/api/events/moments", body);
  }

  cancelMoment(id) {
    return this.call("POST", "/api/events/moments/cancel", { id });
  }

  // -- the grounds -------------------------------------------------------------------------

  /** GET /api/zones: {entrance, zones: [{name, capacity, avatars, instances}]}. */
  zones() {
    return this.call("GET", "/api/zones");
  }

  /** {text: {locale: text}} to everyone in the festival grounds: {reached}. */
  announce(text) {
    return this.call("POST", "/api/events/announce", { text });
  }

  /** Chat slow mode in the grounds, 0 = off: {zone, seconds}. */
  slowMode(seconds) {
    return this.call("POST", "/api/events/slow-mode", { seconds });
  }

  // -- moderation --------------------------------------------------------------------------

  /** A mute or a ban (docs/protocol.md §16.4): the sanction. */
  sanction({ kind, subject, reason, minutes = null }, key) {
    const body = { kind, subject, reason };
    if (minutes !== null && minutes !== undefined) body.minutes = minutes;
    return this.call("POST", "/api/moderation/sanctions", body, { key });
  }

  /** Move the user out of the grounds to the entrance: {kicked}. */
  kick({ subject, reason }, key) {
    return this.call("POST", "/api/moderation/kick", { subject, reason }, { key });
  }
}
