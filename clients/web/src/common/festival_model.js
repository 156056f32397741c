// The festival's rules without the DOM, shared by the 3D and 2D pages and tested in
// test/festival*.test.js: which synchronized moments (and which strokes of a repeated one)
// are due at a server time, the countdown before them, what is announced, the crowd's
// reactions over the last second, the client's own reaction allowance, and the schedule in
// the reader's language and local time.
//
// Moments (docs/protocol.md section 20, docs/events.md): `{id, event, kind, at, label, count,
// every_s, cancelled}`; stroke i (0 … count − 1) is due at `at + i * every_s`, server clock
// (net/clock.js serverNow()). Every client fires a stroke when its estimate of the server's
// clock reaches it, so the crowd hears the bell together.
import { t } from "../i18n.js";
import { pickText } from "./texts.js";

export const FESTIVAL_ZONE = "festival";
/** The layout spot a festival's stage is (world/zones/festival.py `stage_spot`). */
export const STAGE_SPOT = "stage";
/** REACT kinds in wire order (ReactionKind: 0 cheer, 1 clap, 2 heart). */
export const REACTION_KINDS = Object.freeze(["cheer", "clap", "heart"]);
/** Reactions a second the client sends at most (the server allows 4 a second, burst 8). */
export const REACTIONS_PER_S = 4;
/** The crowd's reactions are summed over this window, seconds. */
export const REACTION_WINDOW_S = 1;
/** Moment kinds the server takes (server/moments.py MOMENT_KINDS). */
export const MOMENT_KINDS = Object.freeze(["bell", "fireworks", "lights", "countdown", "cue"]);
/** A stroke learnt of (or reached) later than this after its time is skipped, not fired. */
export const LATE_S = 1.5;
/** Seconds before any moment that its countdown is shown. */
export const COUNTDOWN_LEAD_S = 10;
/** Seconds before a `countdown` moment that its countdown is shown. */
export const COUNTDOWN_KIND_LEAD_S = 3600;
/** The most strokes a moment has (server/moments.py MAX_REPEATS). */
export const MAX_STROKES = 108;
/** A stroke rung at the bell (ZONE_EVENT `bell.stroke`) is kept this long after it sounds. */
export const RUNG_KEPT_S = 10;

// -- the client's own reactions --------------------------------------------------------------

/**
 * At most `rate` reactions in any `windowS` seconds: a press past that is ignored, so every
 * reaction shown is one the server counts (protocol.md 5.10 asks clients to keep within it).
 */
export class ReactionAllowance {
  /**
   * @param {{rate?: number, windowS?: number}} [options]
   */
  constructor({ rate = REACTIONS_PER_S, windowS = 1 } = {}) {
    this.rate = rate;
    this.windowS = windowS;
    /** Times (seconds, any monotonic clock) of the last `rate` reactions sent. */
    this.sent = [];
  }

  /** Whether a reaction may go out at `now`; if so it is counted. */
  take(now) {
    if (this.sent.length >= this.rate && now - this.sent[0] < this.windowS) return false;
    this.sent.push(now);
    if (this.sent.length > this.rate) this.sent.shift();
    return true;
  }
}

// -- the crowd's reactions -------------------------------------------------------------------

/** The counts of the last second from STAGE messages: near you (`here`) and the whole zone. */
export class ReactionMeter {
  /** @param {{windowS?: number}} [options] */
  constructor({ windowS = REACTION_WINDOW_S } = {}) {
    this.windowS = windowS;
    /** @type {{time: number, here: number[], zone: number[]}[]} oldest first */
    this.entries = [];
  }

  /**
   * One STAGE's counts, received at `now` (seconds, a monotonic clock).
   * @param {number} now
   * @param {number[]} here [cheer, clap, heart] in the user's instance
   * @param {number[]} zone [cheer, clap, heart] in all the zone's instances
   */
  add(now, here, zone) {
    const counts = (value) => REACTION_KINDS.map((_, i) => Math.max(0, Number(value?.[i]) || 0));
    const h = counts(here);
    const z = counts(zone);
    this.#prune(now);
    if (h.some(Boolean) || z.some(Boolean)) this.entries.push({ time: now, here: h, zone: z });
  }

  /** The sums over the window ending at `now`: {here: [3], zone: [3]}. */
  totals(now) {
    this.#prune(now);
    const here = [0, 0, 0];
    const zone = [0, 0, 0];
    for (const entry of this.entries) {
      for (let i = 0; i < 3; i++) {
        here[i] += entry.here[i];
        zone[i] += entry.zone[i];
      }
    }
    return { here, zone };
  }

  /** Forget everything (another zone). */
  clear() {
    this.entries = [];
  }

  #prune(now) {
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop].time <= now - this.windowS) drop++;
    if (drop) this.entries.splice(0, drop);
  }
}

/**
 * How strong an effect `perSecond` reactions make, 0 … 1 on a log scale: one is seen, ten
 * thousand fill the meter.
 */
export function intensity(perSecond) {
  if (!(perSecond > 0)) return 0;
  return Math.min(1, Math.log10(1 + perSecond) / 4);
}

/** A count in the reader's digits and grouping ("1,240"). */
export function formatCount(n, locale) {
  try {
    return new Intl.NumberFormat(locale).format(n);
  } catch {
    return String(n);
  }
}

/**
 * The crowd in words: "Crowd: 1,240 cheering · 30 clapping · 12 hearts a second", and who
 * is near when anyone near reacted.
 * @param {string} locale
 * @param {{here: number[], zone: number[]}} totals
 */
export function reactionSummary(locale, totals) {
  const values = (counts) => ({
    cheer: formatCount(counts[0], locale),
    clap: formatCount(counts[1], locale),
    heart: formatCount(counts[2], locale),
  });
  if (!totals.zone.some(Boolean) && !totals.here.some(Boolean)) return t(locale, "crowdQuiet");
  let text = t(locale, "crowdNow", values(totals.zone));
  if (totals.here.some(Boolean)) text += ` ${t(locale, "crowdNear", values(totals.here))}`;
  return text;
}

// -- synchronized moments --------------------------------------------------------------------

/** A moment as the server sends it, checked; null when it cannot be fired. */
export function checkMoment(moment) {
  if (!moment || typeof moment !== "object") return null;
  const { id, at } = moment;
  if (!Number.isInteger(id) || !Number.isFinite(at) || moment.cancelled === true) return null;
  const count = Number.isInteger(moment.count) ? Math.min(MAX_STROKES, Math.max(1, moment.count)) : 1;
  const every = Number.isFinite(moment.every_s) && moment.every_s > 0 ? moment.every_s : 0;
  return {
    ...moment,
    kind: MOMENT_KINDS.includes(moment.kind) ? moment.kind : "cue",
    count: every > 0 ? count : 1,
    every_s: every,
  };
}

/** When stroke `index` of `moment` is due (server seconds). */
export function strokeTime(moment, index) {
  return moment.at + index * moment.every_s;
}

/** The key of a stroke in the set of those fired. */
export function strokeKey(moment, index) {
  return `${moment.id}:${index}`;
}

/**
 * The moments of the festival and which strokes have fired. `set` takes each `moments`
 * ZONE_EVENT (it replaces the list: a moment left out was cancelled); `due(now)` returns the
 * strokes to fire now, once each.
 */
export class MomentSchedule {
  /** @param {{lateS?: number}} [options] */
  constructor({ lateS = LATE_S } = {}) {
    this.lateS = lateS;
    /** @type {object[]} checked moments, soonest first */
    this.moments = [];
    /** Keys of the strokes fired or skipped. */
    this.done = new Set();
    /** Strokes citizens rang at the bell (`bell.stroke`): one-stroke bell moments, ids < 0. */
    this.rung = [];
    this.listed = [];
    this.serial = 0;
  }

  /** Take a new list (the ZONE_EVENT `moments`' `moments`). */
  set(moments) {
    const list = Array.isArray(moments) ? moments.map(checkMoment).filter(Boolean) : [];
    this.listed = list;
    this.#merge();
  }

  /**
   * A stroke a citizen rang at the bell, to sound at server time `at` (ZONE_EVENT
   * `bell.stroke` {at, by, event}); `now` drops the ones long sounded.
   * @param {number} at
   * @param {string} by the ringer's name
   * @param {number} [now]
   */
  ring(at, by, now = -Infinity) {
    if (!Number.isFinite(at)) return;
    this.serial += 1;
    const stroke = {
      id: -this.serial,
      event: null,
      kind: "bell",
      at,
      label: {},
      count: 1,
      every_s: 0,
      cancelled: false,
      by: String(by ?? ""),
    };
    this.rung = [...this.rung.filter((m) => m.at > now - RUNG_KEPT_S), stroke];
    this.#merge();
  }

  #merge() {
    const list = [...this.listed, ...this.rung];
    list.sort((a, b) => a.at - b.at || a.id - b.id);
    this.moments = list;
    // Forget the strokes of moments no longer listed (a list keeps a moment 10 s after its
    // last stroke, so nothing still due is dropped).
    const ids = new Set(list.map((m) => String(m.id)));
    for (const key of this.done) if (!ids.has(key.split(":")[0])) this.done.delete(key);
  }

  /**
   * The strokes due at `now` not fired yet, in time order, each marked fired; strokes more
   * than `lateS` late (the page learnt of them too late, or slept) are skipped silently.
   * @param {number} now server seconds
   * @returns {{moment: object, index: number, at: number}[]}
   */
  due(now) {
    const fire = [];
    for (const moment of this.moments) {
      if (moment.at > now) continue;
      const last = moment.every_s > 0 ? Math.min(moment.count - 1, Math.floor((now - moment.at) / moment.every_s)) : 0;
      for (let index = 0; index <= last; index++) {
        const key = strokeKey(moment, index);
        if (this.done.has(key)) continue;
        this.done.add(key);
        const at = strokeTime(moment, index);
        if (now - at <= this.lateS) fire.push({ moment, index, at });
      }
    }
    fire.sort((a, b) => a.at - b.at);
    return fire;
  }

  /**
   * The soonest stroke after `now` not fired yet, or null.
   * @param {number} now
   * @returns {{moment: object, index: number, at: number}|null}
   */
  next(now) {
    let best = null;
    for (const moment of this.moments) {
      if (best !== null && moment.at > best.at) break; // sorted by `at`
      let index = 0;
      if (moment.at <= now) {
        if (moment.every_s <= 0) continue;
        index = Math.floor((now - moment.at) / moment.every_s) + 1;
      }
      while (index < moment.count && this.done.has(strokeKey(moment, index))) index++;
      if (index >= moment.count) continue;
      const at = strokeTime(moment, index);
      if (best === null || at < best.at) best = { moment, index, at };
    }
    return best;
  }

  /** Seconds until the next stroke (Infinity when none). */
  wait(now) {
    const next = this.next(now);
    return next === null ? Infinity : Math.max(0, next.at - now);
  }
}

/**
 * Whole seconds left before `at`, as a countdown shows them: 10, 9, … 1 (0 once it is due).
 * @param {number} at
 * @param {number} now
 */
export function secondsLeft(at, now) {
  return Math.max(0, Math.ceil(at - now - 1e-9));
}

/** Seconds as a countdown reads: "9", "59", "1:05", "1:02:03". */
export function countdownText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return String(s);
  const two = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * The countdown to show at `now`: for the next stroke of a `countdown` moment within the
 * hour, or of any moment in its last ten seconds; null when there is none to show.
 * A repeated moment's later strokes get no countdown of their own.
 * @param {MomentSchedule} schedule
 * @param {number} now server seconds
 * @returns {{moment: object, index: number, at: number, seconds: number, text: string}|null}
 */
export function countdownAt(schedule, now) {
  const next = schedule.next(now);
  // A stroke rung at the bell sounds a second after it was rung: nothing to count down.
  if (next === null || next.index > 0 || next.moment.by) return null;
  const lead = next.moment.kind === "countdown" ? COUNTDOWN_KIND_LEAD_S : COUNTDOWN_LEAD_S;
  const left = next.at - now;
  if (left > lead) return null;
  const seconds = secondsLeft(next.at, now);
  return { ...next, seconds, text: countdownText(seconds) };
}

/** A moment's name: its label in the reader's language, else its kind's ("The bell"). */
export function momentLabel(locale, moment) {
  return pickText(moment?.label, locale) || t(locale, `moment_${moment?.kind ?? "cue"}`);
}

/**
 * What is said when stroke `index` of `moment` fires: "The bell: stroke 3 of 33",
 * "Fireworks: 2 of 5", or for a single one "Fireworks!".
 */
export function momentAnnouncement(locale, moment, index) {
  if (moment.by) return t(locale, "bellRungBy", { name: moment.by });
  const label = momentLabel(locale, moment);
  if (moment.count <= 1) return t(locale, moment.kind === "countdown" ? "momentZero" : "momentNow", { label });
  const key = moment.kind === "bell" ? "momentStroke" : "momentRepeat";
  return t(locale, key, { label, n: index + 1, count: moment.count });
}

/** What is said ten seconds before a moment: "The bell in 10 seconds". */
export function momentSoon(locale, moment, seconds) {
  return t(locale, "momentSoon", { label: momentLabel(locale, moment), n: seconds });
}

// -- the schedule ----------------------------------------------------------------------------

/**
 * A start and an end in the reader's local time: "Dec 31, 23:30 – 01:20" (the end's date
 * only when it is another day).
 * @param {number} start Unix seconds
 * @param {number} end
 * @param {string} locale
 * @param {{timeZone?: string}} [options] for the tests; the reader's zone by default
 */
export function timeRange(start, end, locale, { timeZone } = {}) {
  const day = { month: "short", day: "numeric", timeZone };
  const clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone };
  const from = new Date(start * 1000);
  const to = new Date(end * 1000);
  const dayOf = (date) => date.toLocaleDateString("en-CA", { timeZone });
  const first = from.toLocaleString(locale, { ...day, ...clock });
  const sameDay = dayOf(from) === dayOf(to);
  const last = sameDay ? to.toLocaleTimeString(locale, clock) : to.toLocaleString(locale, { ...day, ...clock });
  return `${first} – ${last}`;
}

/**
 * The events as the panel lists them, soonest first, cancelled and ended ones left out:
 * {id, title, description, when, live, started, going, rsvps, startsAt, endsAt}.
 * @param {object[]} events the ZONE_EVENT `events`' `events`
 * @param {string} locale
 * @param {number} now server seconds
 * @param {Map<number, boolean>} [going] what this user said, by event id (the zone's list
 *   carries no `going`)
 * @param {{timeZone?: string}} [options]
 */
export function scheduleRows(events, locale, now, going = new Map(), options = {}) {
  if (!Array.isArray(events)) return [];
  return events
    .filter((e) => e && Number.isInteger(e.id) && !e.cancelled && Number.isFinite(e.starts_at))
    .filter((e) => !(Number.isFinite(e.ends_at) && e.ends_at <= now))
    .sort((a, b) => a.starts_at - b.starts_at || a.id - b.id)
    .map((e) => ({
      id: e.id,
      title: pickText(e.title, locale),
      description: pickText(e.description, locale),
      when: timeRange(e.starts_at, Number.isFinite(e.ends_at) ? e.ends_at : e.starts_at, locale, options),
      live: e.starts_at <= now,
      started: e.started === true,
      going: going.has(e.id) ? going.get(e.id) : e.going === true,
      rsvps: Number.isInteger(e.rsvps) ? e.rsvps : 0,
      startsAt: e.starts_at,
      endsAt: e.ends_at,
    }));
}

/** The notice of a start: "Bosingak bell ringing has started". */
export function startedText(locale, event) {
  return t(locale, "eventStarted", { title: pickText(event?.title, locale) || "" });
}

/**
 * The stage's floor in a zone scene (GET /api/zones/{zone}/scene): `{x, y, z, radius}` of
 * the festival's spot `stage`, or null elsewhere. The stage is a raised box this high.
 * @param {{name?: string, spots?: Array<{id: string, position: number[], radius?: number}>}|null} scene
 */
export function stageFloor(scene) {
  if (scene?.name !== FESTIVAL_ZONE) return null;
  const spot = (scene.spots ?? []).find((s) => s.id === STAGE_SPOT);
  if (!spot) return null;
  const [x, y, z] = spot.position;
  return { x, y, z, radius: spot.radius ?? 0 };
}

/**
 * The height an avatar at (x, y, z) is drawn at: on the stage's floor when it stands
 * within the stage below that floor (avatars walk at ground level and the stage is a raised
 * box), else where it is. The crowd view and the stage view both use it, so a performer
 * keeps its height as it passes from one to the other.
 * @param {{x: number, y: number, z: number, radius: number}|null} floor from stageFloor
 */
export function standingHeight(floor, x, y, z) {
  if (floor && y < floor.y && Math.hypot(x - floor.x, z - floor.z) <= floor.radius) return floor.y;
  return y;
}
