// The 120 Center's HTTP API (docs/center120.md) for the three center pages. Every call sends
// the bearer token, renews it shortly before it expires (Plaza's own tokens) and throws
// ApiError: the server's {error, reason} with its status, or status 0 for a network error
// (all of that is session.js's BearerClient).
import { ApiError, BearerClient } from "../session.js";
import { TakeIntent, retriable } from "./format.js";

/** Attempts at taking a number before the page asks the user to press again. */
export const TAKE_ATTEMPTS = 3;
/** The wait before the second attempt; doubled for each further one. */
export const TAKE_BACKOFF_MS = 1000;

export { ApiError };

/**
 * The 120 Center API, as one signed-in user.
 * new CenterApi(token, {fetch?, remember?}): `token` may be null for GET /api/center/info
 * only; `remember` keeps a renewed token for this tab (sessionStorage), as the other pages do.
 */
export class CenterApi extends BearerClient {
  // -- anyone --------------------------------------------------------------------------------

  /** Categories, needs, hours, desks and queues. */
  info() {
    return this.call("GET", "/api/center/info");
  }

  // -- citizens ------------------------------------------------------------------------------

  /** Take a number: {category, description, needs?, key, callback?, contact?} → the ticket. */
  take(body) {
    return this.call("POST", "/api/center/tickets", body);
  }

  /** The user's tickets, newest first. */
  async mine() {
    const data = await this.call("GET", "/api/center/tickets/mine");
    return data?.tickets ?? [];
  }

  /** One ticket with its events. */
  ticket(id) {
    return this.call("GET", `/api/center/tickets?id=${encodeURIComponent(id)}`);
  }

  /** Leave the queue. */
  cancel(id) {
    return this.call("POST", "/api/center/tickets/cancel", { id });
  }

  /** Rate a closed ticket (1 to 5 stars, an optional comment). */
  rate(id, stars, comment) {
    const body = { id, stars };
    if (comment) body.comment = comment;
    return this.call("POST", "/api/center/tickets/rate", body);
  }

  /** A line of the private consultation (citizen, serving staff or admin). */
  message(id, text) {
    return this.call("POST", "/api/center/tickets/message", { id, text });
  }

  // -- civil servants ------------------------------------------------------------------------

  /** The console's state: me, categories, queues, serving, colleagues, day. */
  console() {
    return this.call("GET", "/api/center/console");
  }

  /** Set status and/or skills; returns `me`. */
  staff(changes) {
    return this.call("POST", "/api/center/staff", changes);
  }

  /** The oldest waiting ticket of my skills, or null. */
  async callNext() {
    const data = await this.call("POST", "/api/center/call-next", {});
    return data?.ticket ?? null;
  }

  /** An internal note. */
  note(id, text) {
    return this.call("POST", "/api/center/tickets/note", { id, text });
  }

  /** Transfer to a category or a colleague, with an optional note. */
  transfer(id, { category, toStaff, note } = {}) {
    const body = { id };
    if (category) body.category = category;
    if (toStaff) body.to_staff = toStaff;
    if (note) body.note = note;
    return this.call("POST", "/api/center/tickets/transfer", body);
  }

  /** Close with a resolution the citizen sees. */
  close(id, resolution) {
    return this.call("POST", "/api/center/tickets/close", { id, resolution });
  }

  // -- supervisors ---------------------------------------------------------------------------

  /** Today's figures. */
  stats() {
    return this.call("GET", "/api/center/stats");
  }
}

/**
 * Take a number for `intent` (one key for every attempt): tries up to `attempts` times while
 * the failure is retriable (network, 503), waiting `backoffMs`, then twice that, between.
 * Resolves with the ticket; throws the last ApiError (the intent keeps its key when it may be
 * retried, so pressing the button again sends the same key).
 * @param {CenterApi} api
 * @param {object} body the ticket fields without `key`
 * @param {TakeIntent} intent
 * @param {{attempts?: number, backoffMs?: number, sleep?: (ms: number) => Promise<void>,
 *   onRetry?: (attempt: number, error: ApiError) => void}} [options]
 */
export async function takeNumber(api, body, intent, options = {}) {
  const {
    attempts = TAKE_ATTEMPTS,
    backoffMs = TAKE_BACKOFF_MS,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onRetry = () => {},
  } = options;
  const key = intent.begin();
  let wait = backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const ticket = await api.take({ ...body, key });
      intent.settle(null);
      return ticket;
    } catch (error) {
      if (!retriable(error) || attempt >= attempts) {
        intent.settle(error);
        throw error;
      }
      onRetry(attempt + 1, error);
      await sleep(wait);
      wait *= 2;
    }
  }
}

export { TakeIntent };
