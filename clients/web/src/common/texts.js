// Texts in several languages, without the DOM: picking the one a reader sees, making the
// locale map a post sends, turning the zones' refusals into the reader's language, and
// clock times. Pure functions, shared by both pages and tested in test/texts.test.mjs.

/** Tried in order after the reader's own language, as the server does (world/locale_text.py). */
export const FALLBACK_LOCALES = Object.freeze(["en", "ko"]);

/**
 * The text a reader of `locale` sees in a locale → text map: their language (or its primary
 * subtag), else English, else Korean, else any. "" for an empty or missing map.
 * @param {Record<string, string>|null|undefined} map
 * @param {string} locale
 */
export function pickText(map, locale) {
  if (!map || typeof map !== "object") return "";
  for (const candidate of [locale, String(locale).split("-")[0], ...FALLBACK_LOCALES]) {
    const text = map[candidate];
    if (typeof text === "string" && text.trim()) return text;
  }
  const first = Object.values(map).find((text) => typeof text === "string" && text.trim());
  return first ?? "";
}

/**
 * The locale map for a text the user wrote in `locale`: `{[locale]: text}`, plus the same text
 * as Korean when the locale is not Korean (the server requires a Korean text; readers of other
 * languages then still see it as written).
 * @param {string} locale
 * @param {string} text
 */
export function localeMap(locale, text) {
  const trimmed = String(text).trim();
  const map = { [locale]: trimmed };
  if (locale !== "ko") map.ko = trimmed;
  return map;
}

/** The size of `value` as UTF-8 JSON, bytes: a ZONE message must fit in 4,096 bytes. */
export function jsonBytes(value) {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/**
 * The zones' refusals the client words itself (docs/protocol.md 17.4), by a fragment of the
 * server's reason; anything else is shown as the server says it.
 */
const REFUSALS = [
  ["already voted", "refusedAlreadyVoted"],
  ["sign in as a citizen", "refusedCitizenOnly"],
  ["proposals a day", "refusedDailyLimit"],
  ["poll is closed", "refusedPollClosed"],
  ["needs the staff role", "refusedStaffOnly"],
  ["walk to a bus stop first", "refusedWalkToStop"],
  ["bus is not at this stop", "refusedBusElsewhere"],
  ["already on the bus", "refusedOnBus"],
  ["bus is full", "refusedBusFull"],
  ["you are on the bus", "refusedOnBus"],
  ["tour is full", "refusedTourFull"],
  ["no desk has called", "refusedNotCalled"],
];

/** The i18n key for a zone's refusal `reason`, or null when the client has none. */
export function refusalKey(reason) {
  const text = String(reason ?? "").toLowerCase();
  for (const [fragment, key] of REFUSALS) if (text.includes(fragment)) return key;
  return null;
}

/**
 * A moment (Unix seconds) as the reader's clock time, hh:mm:ss (24-hour).
 * @param {number} seconds
 * @param {string} locale
 */
export function clockTime(seconds, locale) {
  return new Date(seconds * 1000).toLocaleTimeString(locale, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
}

/**
 * A date and time (Unix seconds) for a notice or a proposal, short.
 * @param {number} seconds
 * @param {string} locale
 */
export function shortDate(seconds, locale) {
  return new Date(seconds * 1000).toLocaleString(locale, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
}
