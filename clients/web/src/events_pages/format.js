// What the organizer console computes without the DOM: times as ISO 8601 with their offset
// (from the browser's date-time inputs), countdowns, the next midnight in Seoul, the moment
// presets (the Bosingak bell, "fireworks in 5 s"), the server clock estimated from HTTP
// `Date` headers, request bodies and error texts. Pure, tested in test/events_pages.test.js.
import { TEXT_LOCALES, et, hasText } from "./texts.js";
import { newKey, retriable } from "../session.js";

// Idempotency keys and retries are the pages' shared request rules (session.js).
export { newKey, retriable };

/** Korea Standard Time, minutes east of UTC (no daylight saving). */
export const KST_OFFSET_MIN = 9 * 60;
/** Moment kinds the server takes (docs/protocol.md §20). */
export const MOMENT_KINDS = Object.freeze(["bell", "fireworks", "lights", "countdown", "cue"]);
/** A moment must be at least this far ahead (the server's MIN_LEAD_S). */
export const MIN_LEAD_S = 2;
/** "Fireworks in 5 s": how far ahead the quick cues are scheduled. */
export const QUICK_LEAD_S = 5;
/** The server keeps a fired moment in its list this long (SHOWN_AFTER_S). */
export const SHOWN_AFTER_S = 10;
/** The Bosingak bell: 33 strokes, 2.5 s apart, from midnight in Seoul. */
export const BELL_PRESET = Object.freeze({ kind: "bell", count: 33, every_s: 2.5 });
/** Limits the server checks (server/events.py, server/moments.py, server/crowd_api.py). */
export const LIMITS = Object.freeze({
  title: 120,
  description: 2000,
  label: 120,
  announcement: 500,
  capacity: 1_000_000,
  performers: 20,
  repeats: 108,
  everyS: 600,
  slowModeS: 600,
  reason: 500,
  kickReason: 200,
  minutes: 5_256_000,
});

const pad = (n, width = 2) => String(Math.trunc(Math.abs(n))).padStart(width, "0");

/**
 * An instant as ISO 8601 with an offset: `2026-12-31T23:30:00+09:00` (milliseconds only
 * when there are any).
 * @param {number} ms Unix milliseconds
 * @param {number} offsetMinutes minutes east of UTC (KST is 540)
 */
export function isoWithOffset(ms, offsetMinutes) {
  const whole = Math.round(ms);
  const wall = new Date(whole + offsetMinutes * 60_000);
  const date = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const millis = wall.getUTCMilliseconds();
  const time =
    `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    (millis ? `.${pad(millis, 3)}` : "");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const offset = `${sign}${pad(Math.abs(offsetMinutes) / 60)}:${pad(Math.abs(offsetMinutes) % 60)}`;
  return `${date}T${time}${offset}`;
}

/** The browser's offset from UTC at an instant, in minutes east (KST: 540, New York: -300). */
export function localOffsetMinutes(ms) {
  return -new Date(ms).getTimezoneOffset();
}

const INPUT_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/** The parts of a `<input type=datetime-local>` value, or null. */
function inputParts(value) {
  const match = INPUT_PATTERN.exec(String(value ?? "").trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s = "0", frac = "0"] = match;
  const parts = [y, mo, d, h, mi, s].map(Number);
  parts.push(Number(frac.padEnd(3, "0")));
  const [, month, day, hour, minute, second] = parts;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  return parts;
}

/**
 * A wall-clock value (`2026-12-31T23:30` or with seconds) read in a fixed offset, as ISO 8601
 * with that offset; null when it is not a date and time.
 */
export function wallToIso(value, offsetMinutes) {
  const parts = inputParts(value);
  if (!parts) return null;
  const [y, mo, d, h, mi, s, ms] = parts;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000;
  if (!Number.isFinite(utc)) return null;
  return isoWithOffset(utc, offsetMinutes);
}

/**
 * A `<input type=datetime-local>` value, read in the browser's time zone, as Unix seconds;
 * null when empty or malformed.
 */
export function inputToSeconds(value) {
  const parts = inputParts(value);
  if (!parts) return null;
  const [y, mo, d, h, mi, s, ms] = parts;
  const date = new Date(y, mo - 1, d, h, mi, s, ms);
  const time = date.getTime();
  return Number.isFinite(time) ? time / 1000 : null;
}

/**
 * A `<input type=datetime-local>` value as ISO 8601 with the browser's offset at that time
 * (`2026-12-31T23:30:00+09:00` in Seoul); null when empty or malformed.
 */
export function localInputToIso(value) {
  const seconds = inputToSeconds(value);
  if (seconds === null) return null;
  const ms = seconds * 1000;
  return isoWithOffset(ms, localOffsetMinutes(ms));
}

/**
 * Unix seconds as a `<input type=datetime-local>` value in the browser's time zone:
 * `2026-12-31T23:30`, with `:SS` when `seconds` is set or the time has seconds.
 */
export function localInputValue(at, { seconds = false } = {}) {
  if (at === null || at === undefined || !Number.isFinite(at)) return "";
  const date = new Date(Math.floor(at) * 1000);
  const base =
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return seconds || date.getSeconds() ? `${base}:${pad(date.getSeconds())}` : base;
}

/** The browser's offset as text: "UTC+09:00". */
export function offsetName(offsetMinutes) {
  const sign = offsetMinutes < 0 ? "-" : "+";
  return `UTC${sign}${pad(Math.abs(offsetMinutes) / 60)}:${pad(Math.abs(offsetMinutes) % 60)}`;
}

/** A clock reading hh:mm:ss (24 h) of Unix seconds in a fixed offset (KST by default). */
export function clockIn(at, offsetMinutes = KST_OFFSET_MIN) {
  if (at === null || at === undefined || !Number.isFinite(at)) return "—";
  const wall = new Date(Math.floor(at) * 1000 + offsetMinutes * 60_000);
  return `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
}

/**
 * The next midnight in a fixed offset after `nowS` (Unix seconds), at least MIN_LEAD_S
 * ahead: the bell's first stroke.
 */
export function nextMidnight(nowS, offsetMinutes = KST_OFFSET_MIN) {
  const shift = offsetMinutes * 60;
  let next = (Math.floor((nowS + shift) / 86400) + 1) * 86400 - shift;
  if (next - nowS < MIN_LEAD_S) next += 86400;
  return next;
}

/**
 * A countdown: whole seconds left, rounded up (it reads 00:01 until the last second), as
 * `mm:ss`, `h:mm:ss`, or with days (`2일 03:04:05` / `2d 03:04:05`). Past is `00:00`.
 */
export function countdownText(seconds, locale = "en") {
  const left = Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds - 1e-9)) : 0;
  const days = Math.floor(left / 86400);
  const hours = Math.floor((left % 86400) / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const secs = left % 60;
  if (days) {
    const unit = String(locale).startsWith("ko") ? "일" : "d";
    return `${days}${unit} ${pad(hours)}:${pad(minutes)}:${pad(secs)}`;
  }
  if (hours) return `${hours}:${pad(minutes)}:${pad(secs)}`;
  return `${pad(minutes)}:${pad(secs)}`;
}

/** A moment's last repeat, in Unix seconds. */
export function momentEnd(moment) {
  return moment.at + (moment.every_s ?? 0) * Math.max(0, (moment.count ?? 1) - 1);
}

/**
 * What the big countdown shows at server time `nowS`: the soonest countdown moment not yet
 * reached (or reached less than SHOWN_AFTER_S ago, for its "Now!"), else the soonest moment
 * of any kind still to fire; null when there is none.
 */
export function countdownTarget(moments, nowS) {
  const live = (moments ?? []).filter((m) => !m.cancelled).sort((a, b) => a.at - b.at || a.id - b.id);
  const countdown = live.find((m) => m.kind === "countdown" && m.at > nowS - SHOWN_AFTER_S);
  return countdown ?? live.find((m) => momentEnd(m) > nowS) ?? null;
}

/**
 * A moment preset at server time `nowS`: `fireworks` / `lights` (or any kind) QUICK_LEAD_S
 * from now, `bell` the Bosingak bell from the next midnight in Seoul. `at` is Unix seconds.
 * @returns {{kind: string, at: number, count: number, every_s: number}}
 */
export function momentPreset(name, nowS) {
  if (name === "bell") return { ...BELL_PRESET, at: nextMidnight(nowS, KST_OFFSET_MIN) };
  if (!MOMENT_KINDS.includes(name)) throw new Error(`no preset ${name}`);
  return { kind: name, at: Math.ceil(nowS) + QUICK_LEAD_S, count: 1, every_s: 0 };
}

/**
 * The body of POST /api/events/moments: `at` (Unix seconds) sent as ISO 8601 with
 * `offsetMinutes` (the browser's at that instant by default); `label` only when it has text.
 */
export function momentBody({ event, kind, at, label = null, count = 1, every_s = 0 }, offsetMinutes = null) {
  const ms = at * 1000;
  const body = { event, kind, at: isoWithOffset(ms, offsetMinutes ?? localOffsetMinutes(ms)), count, every_s };
  const text = textMap(label ?? {});
  if (text) body.label = text;
  return body;
}

/** A text map from form values: trimmed, empty ones left out; null when none has text. */
export function textMap(values) {
  const map = {};
  for (const locale of TEXT_LOCALES) {
    const text = String(values?.[locale] ?? "").trim();
    if (text) map[locale] = text;
  }
  return Object.keys(map).length ? map : null;
}

/** A text map's text in the reader's language (else English, else Korean, else any). */
export function pickText(map, locale) {
  if (!map || typeof map !== "object") return "";
  const short = String(locale ?? "").split("-")[0];
  return map[locale] || map[short] || map.en || map.ko || Object.values(map)[0] || "";
}

/** Performer user ids from a text: split at commas, spaces and new lines, each once. */
export function parsePerformers(text) {
  const ids = String(text ?? "")
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean);
  return [...new Set(ids)];
}

/** The fields of `after` whose value differs from `before`'s (compared as JSON). */
export function changedFields(before, after) {
  const changes = {};
  for (const [key, value] of Object.entries(after)) {
    if (fingerprint(value) !== fingerprint(before?.[key])) changes[key] = value;
  }
  return changes;
}

/** Whether an event is `upcoming`, `live` or `over` at server time `nowS`. */
export function eventState(event, nowS) {
  if (nowS < event.starts_at) return "upcoming";
  return nowS < event.ends_at ? "live" : "over";
}

/**
 * The event to run from the console: the one chosen if still listed, else the live one,
 * else the soonest; null for none.
 */
export function pickEvent(events, chosenId, nowS) {
  const list = events ?? [];
  return (
    list.find((e) => e.id === chosenId) ??
    list.find((e) => eventState(e, nowS) === "live") ??
    list[0] ??
    null
  );
}

/** A moment kind's name ("Fireworks"), or the kind as it is. */
export function kindLabel(kind, locale) {
  return hasText(`kind_${kind}`) ? et(locale, `kind_${kind}`) : String(kind ?? "");
}

/** "33 × every 2.5 s", or "once". */
export function repeatsText(moment, locale) {
  if ((moment.count ?? 1) <= 1) return et(locale, "once");
  return et(locale, "repeats", { n: moment.count, s: moment.every_s });
}

/** Seconds of slow mode from a field: a whole number 0..600, else null. */
export function slowSeconds(value) {
  const text = String(value ?? "").trim();
  if (!/^\d+$/.test(text)) return null;
  const seconds = Number(text);
  return seconds <= LIMITS.slowModeS ? seconds : null;
}

/** A sanction's minutes from a field: null for empty (until lifted), NaN when malformed. */
export function sanctionMinutes(value) {
  const text = String(value ?? "").trim();
  if (!text) return null;
  if (!/^\d+$/.test(text)) return Number.NaN;
  const minutes = Number(text);
  return minutes >= 1 && minutes <= LIMITS.minutes ? minutes : Number.NaN;
}

/** JSON of a value, to see whether what is drawn changed. */
export function fingerprint(value) {
  return JSON.stringify(value ?? null);
}


/**
 * One idempotency key per action meant (docs/protocol.md §16.8): pressing again for the same
 * action (same kind, subject, reason, minutes) after a network error or a 503 sends the same
 * key, so a ban is never applied twice; anything else gets a new key.
 */
export class ActionKeys {
  constructor(makeKey = newKey) {
    this.#makeKey = makeKey;
  }

  #makeKey;
  #pending = null;

  /** The key to send for `action` (any JSON value naming it). */
  keyFor(action) {
    const print = fingerprint(action);
    if (this.#pending?.print !== print) this.#pending = { print, key: this.#makeKey() };
    return this.#pending.key;
  }

  /** The attempt ended: keep the key only when it may be retried. */
  settle(error = null) {
    if (!error || !retriable(error)) this.#pending = null;
  }
}

/**
 * The server's clock, estimated from HTTP `Date` headers. A `Date` has whole seconds: the
 * server's time when it wrote the answer was in [D, D + 1 s), and that happened between
 * sending the request (local `sent`) and reading the answer (local `received`), so
 * offset = server − local lies in [D − received, D + 1 s − sent]. Each answer gives such a
 * range; intersecting the newest ones that agree narrows it to tens of milliseconds after a
 * few polls (every 2 s, the seconds boundary falls at different points of the round trip).
 * A range that disagrees with the newer ones (the local clock was set, the server restarted)
 * ends the intersection there, so the newest answer always counts.
 */
export class ServerClock {
  constructor({ window = 30 } = {}) {
    this.#window = window;
  }

  #window;
  /** [low, high] offset ranges in milliseconds, oldest first. */
  #ranges = [];

  /**
   * An answer's `Date` header (text or Unix ms), and the local times (ms) the request was
   * sent and its answer read. Returns whether it was used.
   */
  sample(date, sentMs, receivedMs) {
    const serverMs = typeof date === "number" ? date : Date.parse(date ?? "");
    if (!Number.isFinite(serverMs) || !Number.isFinite(sentMs) || !(receivedMs >= sentMs)) return false;
    this.#ranges.push([serverMs - receivedMs, serverMs + 1000 - sentMs]);
    if (this.#ranges.length > this.#window) this.#ranges.shift();
    return true;
  }

  /** The offset's range [low, high] in ms from the newest agreeing answers; null before any. */
  get bounds() {
    const n = this.#ranges.length;
    if (!n) return null;
    let [low, high] = this.#ranges[n - 1];
    for (let i = n - 2; i >= 0; i--) {
      const nextLow = Math.max(low, this.#ranges[i][0]);
      const nextHigh = Math.min(high, this.#ranges[i][1]);
      if (nextLow > nextHigh) break;
      low = nextLow;
      high = nextHigh;
    }
    return [low, high];
  }

  /** Whether any answer was read. */
  get known() {
    return this.#ranges.length > 0;
  }

  /** server − local, in ms (the middle of the range; 0 before any answer). */
  get offsetMs() {
    const bounds = this.bounds;
    return bounds ? (bounds[0] + bounds[1]) / 2 : 0;
  }

  /** How far off the estimate can be, in ms (half the range; Infinity before any answer). */
  get errorMs() {
    const bounds = this.bounds;
    return bounds ? (bounds[1] - bounds[0]) / 2 : Number.POSITIVE_INFINITY;
  }

  /** The server's time now, in Unix seconds. */
  nowS(localMs = Date.now()) {
    return (localMs + this.offsetMs) / 1000;
  }
}

/** What to tell the organizer about a failed request: the API's reason, always. */
export function errorText(error, locale) {
  const status = error?.status;
  const reason = error?.reason || error?.message || "";
  if (status === 0 || status === undefined) {
    return reason ? `${et(locale, "networkError")} (${reason})` : et(locale, "networkError");
  }
  if (status === 401) return reason ? `${et(locale, "expired")} (${reason})` : et(locale, "expired");
  // An unknown event is a 404 too; a route this server does not have yet says "no route".
  if (status === 404 && /^no route/.test(reason)) return `${et(locale, "notOffered")} — ${reason}`;
  if (status === 503) return reason ? `${et(locale, "unavailable")} (${reason})` : et(locale, "unavailable");
  return reason || `HTTP ${status}`;
}

/** "Scheduling the moment failed: <the API's reason>". */
export function actionError(action, error, locale) {
  return et(locale, "failed", { action: et(locale, `act_${action}`), reason: errorText(error, locale) });
}
