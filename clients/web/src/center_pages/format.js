// What the 120 Center pages show, without the DOM: durations, places in line, labels of
// categories, needs, states and statuses, the lines of a ticket's history and conversation,
// queue and dashboard rows, idempotency keys. Pure functions, tested in
// test/center_pages.test.js.
import { ct, hasText } from "./texts.js";
import { newKey, retriable } from "../session.js";

// Idempotency keys and retries are the pages' shared request rules (session.js).
export { newKey, retriable };

/** Ticket states in which the citizen still waits or is being served. */
export const OPEN_STATES = Object.freeze(["waiting", "called", "in_consultation"]);
/** States in which a civil servant is serving the ticket (messages are possible). */
export const SERVED_STATES = Object.freeze(["called", "in_consultation"]);
/** A civil servant's statuses, in the order the console offers them. */
export const STAFF_STATUSES = Object.freeze(["available", "busy", "on_break", "offline"]);
/** The idempotency key's alphabet and length (docs/center120.md). */
export const KEY_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
/** Longest texts the API takes (docs/center120.md). */
export const LIMITS = Object.freeze({
  description: 500,
  contact: 100,
  message: 1000,
  note: 2000,
  resolution: 2000,
  comment: 500,
});

/** A label from the table by prefix, or the raw name when the deployment has its own. */
function labelled(prefix, name, locale) {
  const key = `${prefix}${name}`;
  return hasText(key) ? ct(locale, key) : String(name ?? "");
}

/** A category's name in the reader's language (a deployment's own categories as they are). */
export function categoryLabel(name, locale) {
  return labelled("cat_", name, locale);
}

/** An accessibility need's name. */
export function needLabel(name, locale) {
  return labelled("need_", name, locale);
}

/** A ticket state's name. */
export function stateLabel(state, locale) {
  return labelled("state_", state, locale);
}

/** A civil servant's status's name. */
export function statusLabel(status, locale) {
  return labelled("status_", status, locale);
}

/** The needs as one comma-separated text ("" for none). */
export function needsText(needs, locale) {
  return (needs ?? []).map((need) => needLabel(need, locale)).join(", ");
}

/**
 * A duration in words: "under a minute", "7 min", "1 h 5 min" (Korean: "7분", "1시간 5분").
 * Seconds are shown only with `exact` and under a minute. null or a negative/non-finite value
 * is "—".
 * @param {number|null|undefined} seconds
 * @param {string} locale
 * @param {{exact?: boolean}} [options]
 */
export function duration(seconds, locale, { exact = false } = {}) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return ct(locale, "dash");
  }
  if (seconds < 60) {
    return exact ? ct(locale, "seconds", { s: Math.round(seconds) }) : ct(locale, "underMinute");
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return ct(locale, "minutes", { m: minutes });
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? ct(locale, "hoursMinutes", { h, m }) : ct(locale, "hoursOnly", { h });
}

/** A wait estimate: "about 5 min" ("—" when unknown). */
export function waitEstimate(seconds, locale) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return ct(locale, "dash");
  if (seconds < 60) return ct(locale, "underMinute");
  return ct(locale, "about", { d: duration(seconds, locale) });
}

/** The ticket's place in line in words ("—" when it is not waiting). */
export function positionText(position, locale) {
  if (!Number.isInteger(position) || position < 1) return ct(locale, "dash");
  if (position === 1) return ct(locale, "positionNext");
  return ct(locale, "positionN", { n: position, ahead: position - 1 });
}

/**
 * A clock time, hh:mm (with seconds when `seconds`), on a 24-hour clock, in `timeZone` (the
 * browser's when not given or unknown).
 */
export function clockTime(at, locale, { seconds = false, timeZone = undefined } = {}) {
  if (at === null || at === undefined || !Number.isFinite(at)) return ct(locale, "dash");
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (seconds) options.second = "2-digit";
  const tag = locale === "ko" ? "ko-KR" : "en-GB";
  try {
    return new Date(at * 1000).toLocaleTimeString(tag, { ...options, timeZone });
  } catch {
    return new Date(at * 1000).toLocaleTimeString(tag, options);
  }
}

/** A date and time, for when the center opens again. */
export function dateTime(at, locale, timeZone = undefined) {
  if (at === null || at === undefined || !Number.isFinite(at)) return ct(locale, "dash");
  const options = { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" };
  try {
    return new Date(at * 1000).toLocaleString(locale === "ko" ? "ko-KR" : "en-GB", { ...options, timeZone });
  } catch {
    return new Date(at * 1000).toLocaleString(locale === "ko" ? "ko-KR" : "en-GB", options);
  }
}

/** A ticket's title: "Ticket 17", or "Callback request 17". */
export function ticketTitle(ticket, locale) {
  return ct(locale, ticket?.callback ? "callbackNumber" : "ticketNumber", { id: ticket?.id ?? "?" });
}

/** Whether the ticket is still waiting or being served. */
export function isOpen(ticket) {
  return OPEN_STATES.includes(ticket?.state);
}

/** Whether messages can be sent on the ticket now. */
export function canMessage(ticket) {
  return SERVED_STATES.includes(ticket?.state);
}

/** Whether the citizen may leave the queue (the server refuses once the consultation began). */
export function canLeave(ticket) {
  return ticket?.state === "waiting" || ticket?.state === "called";
}

/** Whether the citizen may still rate the ticket. */
export function canRate(ticket) {
  return ticket?.state === "closed" && (ticket.rating === null || ticket.rating === undefined);
}

/**
 * The ticket to show on the citizen's page: the one chosen (if still in the list), else the
 * newest open one, else the newest one closed but not rated yet, else none.
 * @param {object[]} tickets newest first
 * @param {number|null} chosen
 */
export function pickTicket(tickets, chosen) {
  const list = tickets ?? [];
  if (chosen !== null && chosen !== undefined) {
    const found = list.find((ticket) => ticket.id === chosen);
    if (found) return found;
  }
  return list.find(isOpen) ?? list.find(canRate) ?? null;
}

/** Stars as text: "★★★★☆". */
export function starText(stars) {
  const n = Math.max(0, Math.min(5, Math.round(Number(stars) || 0)));
  return "★".repeat(n) + "☆".repeat(5 - n);
}

/** A number with at most one decimal ("4.5", "4"), or "—". */
export function oneDecimal(value, locale = "en") {
  if (value === null || value === undefined || !Number.isFinite(value)) return ct(locale, "dash");
  return String(Math.round(value * 10) / 10);
}

function textOf(detail, ...names) {
  for (const name of names) {
    const value = detail?.[name];
    if (typeof value === "string" && value.trim()) return value;
  }
  return "";
}

/** Who wrote a message event: the name the event carries, else the ticket's people. */
function authorOf(event, ticket, locale, viewer) {
  const detail = event.detail ?? {};
  if (viewer && event.actor === viewer) return ct(locale, "you");
  const named = textOf(detail, "name", "from_name", "staff_name", "citizen_name");
  if (named) return named;
  if (event.actor === ticket?.citizen) return ticket?.citizen_name || ct(locale, "citizen");
  return ticket?.staff_name || ct(locale, "staffMember");
}

/**
 * The conversation of a ticket: its message events as lines
 * `{id, at, mine, author, text}`; `viewer` is the reader's subject ("mine" lines are theirs).
 */
export function messagesOf(ticket, locale, viewer) {
  return (ticket?.events ?? [])
    .filter((event) => event.kind === "message")
    .map((event) => ({
      id: event.id,
      at: event.at,
      mine: Boolean(viewer) && event.actor === viewer,
      fromCitizen: event.actor === ticket?.citizen,
      author: authorOf(event, ticket, locale, viewer),
      text: textOf(event.detail, "text", "message"),
    }));
}

/** The internal notes of a ticket (staff views only): `{id, at, author, text}`. */
export function notesOf(ticket, locale, viewer) {
  return (ticket?.events ?? [])
    .filter((event) => event.kind === "note")
    .map((event) => ({
      id: event.id,
      at: event.at,
      author: authorOf(event, ticket, locale, viewer),
      text: textOf(event.detail, "text", "note"),
    }));
}

/** One history line for an event, in the reader's language. */
export function eventText(event, ticket, locale, viewer = null) {
  const detail = event?.detail ?? {};
  switch (event?.kind) {
    case "created":
      return ct(locale, detail.callback ? "ev_created_callback" : "ev_created", {
        category: categoryLabel(detail.category ?? ticket?.category, locale),
      });
    case "called": {
      const desk = detail.desk ?? null;
      const staff = textOf(detail, "staff_name", "name");
      if (desk !== null && desk !== undefined) {
        const text = ct(locale, "ev_called", { desk });
        return staff ? `${text} (${staff})` : text;
      }
      return staff ? ct(locale, "ev_called_by", { staff }) : ct(locale, "ev_called_plain");
    }
    case "message":
      return ct(locale, "ev_message", {
        name: authorOf(event, ticket, locale, viewer),
        text: textOf(detail, "text", "message"),
      });
    case "note":
      return ct(locale, "ev_note", { text: textOf(detail, "text", "note") });
    case "transferred": {
      const category = detail.to_category ?? detail.category;
      const to = category
        ? categoryLabel(category, locale)
        : textOf(detail, "to_name", "to_staff_name", "to_staff");
      const text = to ? ct(locale, "ev_transferred", { to }) : ct(locale, "ev_transferred_plain");
      const note = textOf(detail, "note");
      return note ? `${text} — ${note}` : text;
    }
    case "closed": {
      const resolution = textOf(detail, "resolution", "text");
      return resolution ? ct(locale, "ev_closed_with", { text: resolution }) : ct(locale, "ev_closed");
    }
    case "rated": {
      const text = ct(locale, "ev_rated", { stars: detail.stars ?? "?" });
      const comment = textOf(detail, "comment");
      return comment ? `${text} — ${comment}` : text;
    }
    case "cancelled":
      return ct(locale, "ev_cancelled");
    case "purged":
      return ct(locale, "ev_purged");
    default:
      return ct(locale, "ev_other", { kind: String(event?.kind ?? "") });
  }
}

/**
 * The queues as table rows, in the order of `categories` (then any others):
 * `{category, label, waiting, callbacks, oldest, estimate}`.
 */
export function queueRows(queues, categories, locale) {
  const names = [...(categories ?? [])];
  for (const name of Object.keys(queues ?? {})) if (!names.includes(name)) names.push(name);
  return names.map((name) => {
    const queue = queues?.[name] ?? {};
    return {
      category: name,
      label: categoryLabel(name, locale),
      waiting: queue.waiting ?? 0,
      callbacks: queue.callbacks ?? 0,
      oldest: queue.oldest_wait_s ?? null,
      estimate: queue.wait_s ?? null,
    };
  });
}

/**
 * The star distribution as rows from 5 down to 1: `{stars, count, share}` (share 0..1).
 * @param {Record<string, number>} stars
 */
export function starRows(stars) {
  const counts = [5, 4, 3, 2, 1].map((n) => ({ stars: n, count: Number(stars?.[String(n)] ?? 0) || 0 }));
  const total = counts.reduce((sum, row) => sum + row.count, 0);
  return counts.map((row) => ({ ...row, share: total ? row.count / total : 0 }));
}

/** Each row's share of the largest value (0..1), for bars. */
export function barShares(values) {
  const max = Math.max(0, ...values.map((v) => Number(v) || 0));
  return values.map((v) => (max ? (Number(v) || 0) / max : 0));
}

/** A share as a whole percent: "40%". */
export function percent(share) {
  return `${Math.round((Number(share) || 0) * 100)}%`;
}


/**
 * The number a citizen means to take: one idempotency key from the first press until the
 * server has answered for good. A retry after a network error or a 503 sends the same key,
 * so it never makes a second ticket; success or a refusal (400, 409...) ends the intent.
 */
export class TakeIntent {
  constructor(makeKey = newKey) {
    this.#makeKey = makeKey;
  }

  #makeKey;
  /** The key in use, or null between intents. */
  key = null;

  /** The key to send now (made on the first attempt). */
  begin() {
    if (!this.key) this.key = this.#makeKey();
    return this.key;
  }

  /** The attempt ended: keep the key only when it may be retried. */
  settle(error = null) {
    if (!error || !retriable(error)) this.key = null;
  }

  /** Whether an earlier attempt is still unconfirmed (the next press retries it). */
  get pending() {
    return this.key !== null;
  }
}

/** The claims of a JWT (unverified: only to greet the user and pick the page's view). */
export function claimsOf(token) {
  try {
    const part = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/**
 * What to tell the user about a failed request: the API's own reason (it names the field or
 * the state), or a worded message for the network, a 503 and an expired sign-in.
 */
export function errorText(error, locale) {
  const status = error?.status;
  if (status === 0 || status === undefined) return ct(locale, "networkError");
  if (status === 503) return ct(locale, "unavailable");
  if (status === 401) return ct(locale, "expired");
  return error?.reason || error?.message || `HTTP ${status}`;
}

/** A stable fingerprint of a value, to redraw only what changed. */
export function fingerprint(value) {
  return JSON.stringify(value ?? null);
}

/**
 * GET /api/center/stats as the dashboard's rows, in the reader's language:
 * `{summary: [[label, value]], waiting: [{label, count, share}], times: [[label, p50, p90, p99,
 * count]], satisfaction: {mean, count, rows}, staff: [[label, count]], perStaff: [[name,
 * called, closed, handling, rating]]}`; `categories` orders the queues (any others follow).
 */
export function dashboardRows(stats, locale, categories = []) {
  const t = (key, values) => ct(locale, key, values);
  const waitingMap = stats?.waiting ?? {};
  const names = [...categories];
  for (const name of Object.keys(waitingMap)) if (!names.includes(name)) names.push(name);
  const counts = names.map((name) => Number(waitingMap[name] ?? 0) || 0);
  const shares = barShares(counts);
  const totalWaiting = counts.reduce((sum, n) => sum + n, 0);
  const tickets = stats?.tickets ?? {};
  const satisfaction = stats?.satisfaction ?? {};
  const satisfied = (satisfaction.count ?? 0) > 0;
  const time = (value) => duration(value ?? null, locale, { exact: true });
  const timeRow = (key, figures) => [
    t(key),
    time(figures?.p50),
    time(figures?.p90),
    time(figures?.p99),
    String(figures?.count ?? 0),
  ];
  const staffCounts = stats?.staff ?? {};
  const statuses = [...STAFF_STATUSES];
  for (const name of Object.keys(staffCounts)) if (!statuses.includes(name)) statuses.push(name);
  return {
    summary: [
      [t("waitingNow"), String(totalWaiting)],
      [t("callbacksWaiting"), String(stats?.callbacks_waiting ?? 0)],
      [t("created"), String(tickets.created ?? 0)],
      [t("closedToday"), String(tickets.closed ?? 0)],
      [t("cancelledToday"), String(tickets.cancelled ?? 0)],
      [t("satisfaction"), satisfied ? `${oneDecimal(satisfaction.mean, locale)} / 5` : t("dash")],
    ],
    waiting: names.map((name, index) => ({
      label: categoryLabel(name, locale),
      count: counts[index],
      share: shares[index],
    })),
    times: [timeRow("waitTime", stats?.wait_s), timeRow("handlingTime", stats?.handling_s)],
    satisfaction: {
      text: satisfied
        ? t("satisfactionMean", { mean: oneDecimal(satisfaction.mean, locale), n: satisfaction.count })
        : t("noRatings"),
      rows: starRows(satisfaction.stars),
    },
    staff: statuses.map((status) => [statusLabel(status, locale), String(staffCounts[status] ?? 0)]),
    perStaff: (stats?.per_staff ?? []).map((row) => [
      row.name ?? row.subject ?? "",
      String(row.called ?? 0),
      String(row.closed ?? 0),
      time(row.handling_p50_s),
      row.rating_mean === null || row.rating_mean === undefined ? t("dash") : oneDecimal(row.rating_mean, locale),
    ]),
  };
}

/** "1 star", "4 stars" (Korean: "별 4개"). */
export function starsLabel(n, locale) {
  return n === 1 ? ct(locale, "star1") : ct(locale, "starsN", { n });
}
