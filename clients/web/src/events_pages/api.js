// The HTTP calls of the organizer console (docs/events.md, docs/protocol.md §16, §18, §20).
// Every call sends the bearer token, renews it shortly before it expires (Plaza's own
// tokens) and throws ApiError: the server's {error, reason} with its status, or status 0
// for a network error (all of that is session.js's BearerClient); each answer's `Date`
// header also feeds the server clock.
import { ApiError, BearerClient } from "../session.js";
import { ServerClock } from "./format.js";

export { ApiError };

/** The organizer's API, as one signed-in user. */
export class EventsApi extends BearerClient {
  /**
   * @param {string} token the bearer token
   * @param {{fetch?: typeof fetch, clock?: ServerClock, remember?: boolean,
   *   now?: () => number}} [options] `remember`: keep a renewed token for this tab
   */
  constructor(token, { clock = new ServerClock(), now = () => Date.now(), ...options } = {}) {
    super(token, options);
    this.clock = clock;
    this.#now = now;
  }

  #now;

  /**
   * One request: the parsed JSON answer, or ApiError.
   * @param {string} method
   * @param {string} path
   * @param {object} [body]
   * @param {{key?: string}} [options] `key`: an Idempotency-Key header
   */
  call(method, path, body = undefined, { key } = {}) {
    return super.call(method, path, body, key ? { headers: { "Idempotency-Key": key } } : {});
  }

  /** Times each call so the clock can allow for the round trip. */
  async request(path, init) {
    const sent = this.#now();
    const response = await super.request(path, init);
    this.clock.sample(response.headers?.get?.("date") ?? null, sent, this.#now());
    return response;
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
