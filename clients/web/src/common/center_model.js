// The 120 Center's rules on the client side, without the DOM (docs/center120.md): the
// idempotency key of a ticket request, which ticket is "mine" now, how a pushed ticket
// replaces the one shown, the request a form makes, and how the center's state is worded.
// Pure functions, shared by both pages and tested in test/center.test.js.
import { t } from "../i18n.js";

export const CENTER_ZONE = "center_120";
/** Ticket states in which the citizen still has a place (or a desk). */
export const OPEN_STATES = Object.freeze(["waiting", "called", "in_consultation"]);
/** States in which a desk serves the ticket: the desk is known, messages may be sent. */
export const SERVED_STATES = Object.freeze(["called", "in_consultation"]);
/** The server's limits (docs/center120.md), checked here so the form can say so at once. */
export const MAX_DESCRIPTION_CHARS = 500;
export const MAX_CONTACT_CHARS = 100;
export const MAX_MESSAGE_CHARS = 1000;
export const MAX_COMMENT_CHARS = 500;
export const MIN_STARS = 1;
export const MAX_STARS = 5;
/** A closed ticket older than this is history, not "my ticket" (it is not offered to rate). */
export const RECENT_CLOSED_S = 24 * 3600;
/** Messages kept per ticket. */
export const MESSAGES_KEPT = 200;

const KEY_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Whether `key` is a valid idempotency key: 8 to 64 characters of A-Z a-z 0-9 _ -. */
export function isTicketKey(key) {
  return typeof key === "string" && KEY_PATTERN.test(key);
}

/**
 * A fresh idempotency key for one ticket the citizen means to take: 32 hex digits (a random
 * UUID without its dashes). Made once per submission and sent again on every retry of it.
 * @param {{randomUUID?: () => string, getRandomValues?: (a: Uint8Array) => Uint8Array}} [random]
 */
export function newTicketKey(random = globalThis.crypto) {
  if (typeof random?.randomUUID === "function") return random.randomUUID().replaceAll("-", "");
  // randomUUID needs a secure context (https or localhost); getRandomValues does not.
  const bytes = random.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether a ticket still waits or is being served. */
export function isOpen(ticket) {
  return Boolean(ticket) && OPEN_STATES.includes(ticket.state);
}

/** Whether a desk serves the ticket now. */
export function isServed(ticket) {
  return Boolean(ticket) && SERVED_STATES.includes(ticket.state);
}

/**
 * The ticket to show as "mine" from `center.mine`'s list (newest first): the open one, else
 * the newest if it was closed recently and is not rated yet (so it can be), else null.
 * @param {object[]} tickets
 * @param {number} now Unix seconds
 */
export function currentTicket(tickets, now) {
  if (!Array.isArray(tickets)) return null;
  const open = tickets.find(isOpen);
  if (open) return open;
  const newest = tickets[0];
  if (newest?.state === "closed" && newest.rating == null) {
    const closedAt = newest.closed_at ?? newest.updated_at ?? 0;
    if (now - closedAt <= RECENT_CLOSED_S) return newest;
  }
  return null;
}

/**
 * The ticket to show once `incoming` (a push or an answer) arrives while `current` is shown:
 * a newer version of the same ticket replaces it, an older one (a late answer) does not; a
 * different ticket replaces it when that one is open or the current one is over.
 */
export function mergeTicket(current, incoming) {
  if (!incoming || typeof incoming !== "object" || !Number.isInteger(incoming.id)) return current ?? null;
  if (!current) return incoming;
  if (incoming.id === current.id) {
    return (incoming.updated_at ?? 0) >= (current.updated_at ?? 0) ? incoming : current;
  }
  if (isOpen(incoming) || !isOpen(current)) return incoming;
  return current;
}

/** Whether `next` is `previous` newly called to a desk (so the citizen must be told). */
export function newlyCalled(previous, next) {
  if (!next || next.state !== "called") return false;
  return !previous || previous.id !== next.id || previous.state !== "called" || previous.desk !== next.desk;
}

/**
 * Add a line of the consultation ({ticket, id, at, from, name, text}) to `lines`, once:
 * a line already there (its push and the answer to sending it) is not added again.
 * Returns a new array, oldest first.
 */
export function addMessage(lines, line) {
  if (!line || !Number.isInteger(line.id) || typeof line.text !== "string") return lines;
  if (lines.some((known) => known.id === line.id)) return lines;
  const next = [...lines, line].sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.id - b.id);
  return next.length > MESSAGES_KEPT ? next.slice(next.length - MESSAGES_KEPT) : next;
}

/**
 * The consultation's lines from a ticket read with its history (`events`, kind "message").
 * @param {object} ticket
 */
export function messagesOf(ticket) {
  let lines = [];
  for (const event of ticket?.events ?? []) {
    if (event?.kind !== "message" || typeof event.detail?.text !== "string") continue;
    lines = addMessage(lines, {
      ticket: ticket.id,
      id: event.id,
      at: event.at,
      from: event.actor,
      name: event.detail.name ?? "",
      text: event.detail.text,
    });
  }
  return lines;
}

/** Whether the ticket machine takes callback requests now (outside staffed hours). */
export function callbackOnly(info) {
  return info?.hours?.open === false;
}

/**
 * The data of `center.take` for what the form holds, or {error: i18n key} when the form is
 * not complete. `key` is the submission's idempotency key.
 * @param {{category: string, description: string, needs: string[], contact?: string}} form
 * @param {string} key
 * @param {boolean} callback outside staffed hours: a callback request, which needs a contact
 */
export function takeRequest(form, key, callback) {
  const description = String(form.description ?? "").trim();
  if (!form.category) return { error: "centerCategoryNeeded" };
  if (!description) return { error: "centerDescriptionNeeded" };
  if (description.length > MAX_DESCRIPTION_CHARS) return { error: "centerDescriptionTooLong" };
  if (!isTicketKey(key)) throw new Error(`not an idempotency key: ${key}`);
  const data = { category: form.category, description, needs: [...(form.needs ?? [])], key };
  if (callback) {
    const contact = String(form.contact ?? "").trim();
    if (!contact) return { error: "centerContactNeeded" };
    if (contact.length > MAX_CONTACT_CHARS) return { error: "centerContactTooLong" };
    Object.assign(data, { callback: true, contact });
  }
  return { data };
}

/**
 * A wait estimate (seconds) as the reader says it: "about 5 min", "under a minute", or
 * "not known yet" when there is none. Minutes are rounded up: better early than late.
 * @param {string} locale
 * @param {number|null|undefined} seconds
 */
export function waitText(locale, seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return t(locale, "centerWaitUnknown");
  if (seconds < 60) return t(locale, "centerWaitUnderMinute");
  return t(locale, "centerWaitMinutes", { n: Math.ceil(seconds / 60) });
}

const STATE_KEYS = {
  waiting: "centerStateWaiting",
  called: "centerStateCalled",
  in_consultation: "centerStateInConsultation",
  closed: "centerStateClosed",
  cancelled: "centerStateCancelled",
};

/** A ticket's state in the reader's words. */
export function stateText(locale, state) {
  return STATE_KEYS[state] ? t(locale, STATE_KEYS[state]) : String(state ?? "");
}

/**
 * The one line that tells the citizen where their ticket stands: the place in the queue and
 * the wait, the desk that calls it, or how it ended. `here` is whether the avatar is in the
 * center (elsewhere, a called citizen is asked to come).
 * @param {string} locale
 * @param {object|null} ticket
 * @param {{here?: boolean}} [options]
 */
export function ticketLine(locale, ticket, { here = true } = {}) {
  if (!ticket) return "";
  const number = ticket.id;
  switch (ticket.state) {
    case "waiting": {
      const values = { number, wait: waitText(locale, ticket.wait_s) };
      if (!Number.isInteger(ticket.position)) return t(locale, "centerLineWaitingNoPlace", values);
      return t(locale, ticket.callback ? "centerLineCallback" : "centerLineWaiting", {
        ...values,
        position: ticket.position,
      });
    }
    case "called":
    case "in_consultation": {
      if (!Number.isInteger(ticket.desk)) return t(locale, "centerLineServed", { number });
      let key = "centerLineAtDesk";
      if (ticket.state === "called") key = here ? "centerLineCalled" : "centerLineCalledAway";
      return t(locale, key, { number, desk: ticket.desk });
    }
    case "closed":
      return t(locale, "centerLineClosed", { number });
    case "cancelled":
      return t(locale, "centerLineCancelled", { number });
    default:
      return t(locale, "centerTicketNumber", { number });
  }
}

const CATEGORY_KEYS = {
  transport: "centerCatTransport",
  tax: "centerCatTax",
  welfare: "centerCatWelfare",
  housing: "centerCatHousing",
  other: "centerCatOther",
};
const NEED_KEYS = {
  sign_language: "centerNeedSignLanguage",
  easy_language: "centerNeedEasyLanguage",
  large_text: "centerNeedLargeText",
};

/** A queue's name in the reader's language (a city's own categories as they are named). */
export function categoryText(locale, category) {
  return CATEGORY_KEYS[category] ? t(locale, CATEGORY_KEYS[category]) : String(category ?? "");
}

/** An accessibility need in the reader's language. */
export function needText(locale, need) {
  return NEED_KEYS[need] ? t(locale, NEED_KEYS[need]) : String(need ?? "");
}

/**
 * The desks of `center.info` as lines: [{desk, open, text}], by desk number.
 * @param {string} locale
 * @param {object|null} info
 */
export function deskLines(locale, info) {
  const desks = Array.isArray(info?.desks) ? info.desks.filter((d) => Number.isInteger(d?.desk)) : [];
  return [...desks]
    .sort((a, b) => a.desk - b.desk)
    .map((d) => {
      const open = d.open === true;
      let text;
      if (!open) text = t(locale, "centerDeskClosed", { desk: d.desk });
      else if (d.staff_name) text = t(locale, "centerDeskOpen", { desk: d.desk, name: d.staff_name });
      else text = t(locale, "centerDeskOpenNoName", { desk: d.desk });
      return { desk: d.desk, open, name: open ? (d.staff_name ?? "") : "", text };
    });
}

/**
 * The queues of `center.info` as lines, in the order of its categories: [{category, text}].
 * @param {string} locale
 * @param {object|null} info
 */
export function queueLines(locale, info) {
  const queues = info?.queues && typeof info.queues === "object" ? info.queues : {};
  const order = Array.isArray(info?.categories) ? [...info.categories] : [];
  for (const name of Object.keys(queues)) if (!order.includes(name)) order.push(name);
  return order.map((category) => {
    const queue = queues[category] ?? {};
    const waiting = Number.isInteger(queue.waiting) ? queue.waiting : 0;
    const parts = [
      t(locale, "centerQueueWaiting", { category: categoryText(locale, category), n: waiting }),
      t(locale, "centerQueueWait", { wait: waitText(locale, queue.wait_s) }),
    ];
    if (Number.isInteger(queue.callbacks) && queue.callbacks > 0) {
      parts.push(t(locale, "centerQueueCallbacks", { n: queue.callbacks }));
    }
    return { category, waiting, text: parts.join(" · ") };
  });
}

/** The text on the sign above a desk in 3D: open with the staff's name, or closed. */
export function deskSignText(locale, desk) {
  if (!desk?.open) return t(locale, "centerSignClosed");
  return desk.staff_name ? `${t(locale, "centerSignOpen")} · ${desk.staff_name}` : t(locale, "centerSignOpen");
}
