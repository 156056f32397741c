// The Festival Grounds' panel for both pages (zone `festival`; docs/events.md,
// docs/protocol.md 5.10, 6.11, 17.4 and 20): who is on the stage, three reaction buttons
// (cheer, clap, heart: REACT, at most four a second) with the crowd's reactions in words,
// the synchronized moments (a countdown before them; each stroke fired when the server's
// clock reaches it, announced, with an optional sound), the notice of an event's start, and
// the schedule in the reader's language and local time with an RSVP button per event.
//
// The rules without the DOM are in festival_model.js. The page gives the roots to draw into:
// `panel` (the schedule, the moments, the stage), and optionally `reactions` and `countdown`
// (the 3D page shows them over the scene; the 2D page keeps them in the panel) and `toast`
// (a status line in every zone: an event this user RSVPed to has started).
//
// Events: 'moment' {moment, index, at} (a stroke fired: the 3D page draws it),
// 'reacted' {kind} (this user's reaction went out).
import { t } from "../i18n.js";
import { button, el, heading, note, say } from "./dom.js";
import {
  FESTIVAL_ZONE,
  REACTION_KINDS,
  MomentSchedule,
  ReactionAllowance,
  ReactionMeter,
  countdownAt,
  formatCount,
  intensity,
  momentAnnouncement,
  momentLabel,
  momentSoon,
  reactionSummary,
  scheduleRows,
  startedText,
} from "./festival_model.js";
import { sendReaction } from "./festival_react.js";
import { FestivalSound } from "./festival_sound.js";
import { clockTime, pickText } from "./texts.js";
import { ask, refusalText } from "./zone_requests.js";

export { FESTIVAL_ZONE };
/**
 * The icon drawn on each reaction button (SVG paths in a 24×24 box, hidden from screen
 * readers: the word says it). Drawn, not emoji: a kiosk's browser may have no emoji font.
 */
export const REACTION_ICONS = Object.freeze({
  // A star burst: a cheer.
  cheer: { color: "#f2b705", d: "M12 1.5l2.6 6.9 7.4.3-5.8 4.6 2 7.2L12 16.4l-6.2 4.1 2-7.2L2 8.7l7.4-.3z" },
  // Two hands meeting, with the sound of the clap.
  clap: {
    color: "#2a8fb8",
    d: "M7 21c-2.5-2-3.5-5.5-2-9l2.5-6c.4-1 1.9-.6 1.7.5L8.5 10l4-7c.5-.9 1.9-.3 1.6.7L12.5 9l3.2-4.6c.6-.8 1.9-.1 1.5.9l-2.7 5.4 2-2.2c.7-.7 1.8.2 1.3 1L14 16c-2 3.5-4.5 6.5-7 5zM17 2.5l1-1.5M19.5 4.5l1.5-.8M20.5 7.5h1.5",
  },
  heart: {
    color: "#d6336c",
    d: "M12 21s-8.5-5.3-8.5-11.2C3.5 6.6 5.8 4.5 8.4 4.5c1.6 0 2.8.8 3.6 2 .8-1.2 2-2 3.6-2 2.6 0 4.9 2.1 4.9 5.3C20.5 15.7 12 21 12 21z",
  },
});
const SVG = "http://www.w3.org/2000/svg";

/** A reaction's icon as an inline SVG (decorative). */
function reactionIcon(kind) {
  const { color, d } = REACTION_ICONS[kind];
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "1.2em");
  svg.setAttribute("height", "1.2em");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "react-icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", color);
  path.setAttribute("stroke", kind === "clap" ? color : "none");
  path.setAttribute("stroke-width", kind === "clap" ? "0.8" : "0");
  path.setAttribute("stroke-linecap", "round");
  svg.append(path);
  return svg;
}
/** The panel's clock: the countdown, the summary and due strokes are looked at this often. */
const TICK_MS = 200;
/** The crowd's summary is rewritten at most this often (it is a live region on the 2D page). */
const SUMMARY_MS = 1000;
/** An announcement stays this long. */
const ANNOUNCE_MS = 8000;
/** The toast of an event's start stays this long. */
const TOAST_MS = 20_000;
/** The schedule is redrawn this often (an event going live, one ending). */
const SCHEDULE_MS = 30_000;
/** Strokes remembered for the tests and support staff. */
const FIRED_KEPT = 200;
/** An organizer's announcement stays up this long. */
const CAPTION_MS = 20_000;
/** The layout spot where the bell hangs (ringers stand within its radius). */
const BELL_SPOT = "bell";

/** Local seconds (monotonic): the crowd's window and the reaction allowance. */
function localSeconds() {
  return performance.now() / 1000;
}

export class FestivalDesk extends EventTarget {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {{panel: HTMLElement, reactions?: HTMLElement|null, countdown?: HTMLElement|null,
   *   toast?: HTMLElement|null}} roots
   * @param {() => string} locale the reader's language now
   * @param {{level?: number, liveSummary?: boolean}} [options] `level`: the heading level of
   *   the panel's parts; `liveSummary`: the crowd's summary is a polite live region
   */
  constructor(visit, roots, locale, { level = 3, liveSummary = false } = {}) {
    super();
    this.visit = visit;
    this.roots = { reactions: null, countdown: null, toast: null, ...roots };
    this.locale = locale;
    this.level = level;
    this.liveSummary = liveSummary;
    /** The schedule as the zone last sent it. */
    this.events = [];
    /** What this user said to each event (POST /api/events/rsvp, GET /api/events), by id. */
    this.going = new Map();
    this.moments = new MomentSchedule();
    this.meter = new ReactionMeter();
    this.allowance = new ReactionAllowance();
    /** On the stage now, in every instance: [{id, name, role}]. */
    this.performers = [];
    /** Strokes fired on this page: {id, index, kind, at, firedAt} (server seconds). */
    this.fired = [];
    /** Reactions this user sent, by kind. */
    this.sent = { cheer: 0, clap: 0, heart: 0 };
    /** The last event start told ({event, text}), or null. */
    this.started = null;
    this.sound = new FestivalSound();
    /** RSVPs on their way, by event id: their buttons wait. */
    this.busy = new Set();
    this.timer = null;
    this.summaryAt = -Infinity;
    this.scheduleAt = -Infinity;
    /** What the schedule list shows (its rows as JSON): redrawn only when it changes. */
    this.scheduleShown = null;
    this.announceTimer = null;
    this.toastTimer = null;
    this.captionTimer = null;
    /** Moments whose "in ten seconds" was said, and event starts told, by id. */
    this.soonSaid = new Set();
    this.startsTold = new Set();
    this.views = null;

    visit.feed.addEventListener("reset", (event) => {
      this.meter.clear();
      this.performers = [];
      if (event.detail.zone === FESTIVAL_ZONE) this.refresh();
      this.#showActive();
      this.update();
    });
    visit.feed.addEventListener("resume", () => this.refresh());
    visit.feed.on(FESTIVAL_ZONE, {
      events: (data) => {
        this.events = Array.isArray(data?.events) ? data.events : [];
        this.#renderSchedule();
      },
      moments: (data) => {
        this.moments.set(data?.moments);
        this.tick();
      },
      "stage.performers": (data) => {
        this.performers = Array.isArray(data?.performers) ? data.performers : [];
        this.#renderPerformers();
      },
      // A chosen citizen rang the bell: it sounds everywhere at `at`, like a moment.
      "bell.stroke": (data) => {
        this.moments.ring(data?.at, data?.by, this.now());
        this.tick();
      },
      announcement: (data) => this.#caption(data),
    });
    // A start is told wherever the avatar is (to those who RSVPed), and to the grounds.
    visit.connection.addEventListener("zoneevent", (event) => {
      const { zone, event: name, data } = event.detail;
      if (zone === FESTIVAL_ZONE && name === "event.started") this.#startedEvent(data?.event);
    });
    visit.connection.addEventListener("stage", (event) => {
      const { here, zone } = event.detail;
      this.meter.add(localSeconds(), here, zone);
    });
    this.render();
    this.#showActive();
    if (this.active) this.refresh();
  }

  /** Whether the avatar is in the festival grounds. */
  get active() {
    return this.visit.zone?.name === FESTIVAL_ZONE;
  }

  /** Server time now (seconds): the clock moments are fired by. */
  now() {
    return this.visit.connection.clock?.serverNow?.() ?? Date.now() / 1000;
  }

  /** The crowd's reactions of the last second: {here: [3], zone: [3]}. */
  totals() {
    return this.meter.totals(localSeconds());
  }

  /** Ask again which events this user RSVPed to (the zone's list does not say). */
  async refresh() {
    if (!this.active) return;
    const { ok, data } = await this.#api("GET", "/api/events");
    if (!ok || !Array.isArray(data?.events)) return;
    for (const event of data.events) {
      if (Number.isInteger(event?.id) && typeof event.going === "boolean") this.going.set(event.id, event.going);
    }
    this.#renderSchedule();
  }

  // -- drawing -------------------------------------------------------------------------------

  /** Draw every part again (another language). */
  render() {
    const locale = this.locale();
    const level = this.level;
    const { panel, reactions, countdown } = this.roots;
    const views = {};
    views.performers = el("p", { class: "festival-performers" });
    views.reactions = this.#reactionsView(locale, reactions ? 2 : level);
    views.countdown = this.#countdownView();
    views.next = el("p", { class: "festival-next" });
    views.ring = button("ringBell", locale, { class: "festival-ring", hidden: true, onclick: () => this.ringBell() });
    views.ringNote = note();
    views.soundToggle = button("festivalSound", locale, {
      class: "festival-sound",
      "aria-pressed": String(this.sound.enabled),
      onclick: () => {
        this.sound.setEnabled(!this.sound.enabled);
        views.soundToggle.setAttribute("aria-pressed", String(this.sound.enabled));
      },
    });
    views.notice = el("p", { class: "festival-notice", role: "status", "aria-atomic": "true" });
    views.events = el("ul", { class: "festival-events" });
    views.rsvpNote = note();
    this.views = views;
    this.scheduleShown = null;
    const stage = el(
      "div",
      { class: "zone-subsection festival-stage" },
      heading(level, "festivalStage", locale),
      views.performers,
    );
    const moments = el(
      "div",
      { class: "zone-subsection festival-moments" },
      heading(level, "festivalMoments", locale),
      countdown ? null : views.countdown.root,
      views.next,
      el("p", {}, views.soundToggle, " ", views.ring),
      views.ringNote,
    );
    const schedule = el(
      "div",
      { class: "zone-subsection festival-schedule" },
      heading(level, "festivalSchedule", locale),
      views.notice,
      views.events,
      views.rsvpNote,
    );
    panel.replaceChildren(...[stage, reactions ? null : views.reactions.root, moments, schedule].filter(Boolean));
    panel.dataset.fired = String(this.fired.length);
    reactions?.replaceChildren(views.reactions.root);
    countdown?.replaceChildren(views.countdown.root);
    this.summaryAt = -Infinity;
    this.update();
  }

  /** Bring what is shown up to date. */
  update() {
    if (!this.views) return;
    this.#renderPerformers();
    this.#renderSchedule();
    this.#renderNotice();
    this.tick();
  }

  #reactionsView(locale, level) {
    const title = heading(level, "festivalReactions", locale, { class: "festival-reactions-title" });
    title.id = `festival-reactions-title-${level}`;
    const buttons = REACTION_KINDS.map((kind, index) =>
      el(
        "button",
        {
          type: "button",
          class: `festival-react react-${kind}`,
          "data-kind": kind,
          onclick: (event) => this.react(index, event.currentTarget),
        },
        reactionIcon(kind),
        el("span", { i18n: [`react_${kind}`, locale] }),
      ),
    );
    const summary = el("p", {
      class: "festival-summary",
      ...(this.liveSummary ? { role: "status", "aria-live": "polite", "aria-atomic": "true" } : {}),
    });
    const bars = REACTION_KINDS.map((kind) => el("span", { class: `meter-bar meter-${kind}` }));
    const tracks = bars.map((bar) => el("span", { class: "meter-track" }, bar));
    const meter = el("div", { class: "festival-meter", "aria-hidden": "true" }, ...tracks);
    const root = el(
      "div",
      { class: "festival-reactions", role: "group", "aria-labelledby": title.id },
      title,
      el("p", { class: "festival-react-buttons" }, ...buttons),
      meter,
      summary,
    );
    return { root, buttons, summary, bars };
  }

  #countdownView() {
    const label = el("span", { class: "countdown-label" });
    const number = el("span", { class: "countdown-number" });
    // role="timer" is not read out as it changes; the announcements below are.
    const live = { role: "status", "aria-live": "polite", "aria-atomic": "true" };
    const timer = el("p", { class: "festival-countdown-timer", role: "timer", "aria-atomic": "true" }, label, " ", number);
    const announce = el("p", { class: "festival-announce", ...live });
    // An organizer's announcement, shown as a caption (in the language the server chose).
    const caption = el("p", { class: "festival-caption", role: "status", "aria-atomic": "true" });
    const root = el("div", { class: "festival-countdown idle" }, timer, announce, caption);
    return { root, timer, label, number, announce, caption };
  }

  #renderPerformers() {
    const line = this.views?.performers;
    if (!line) return;
    const locale = this.locale();
    const names = this.performers
      .filter((p) => p && typeof p.name === "string")
      .map((p) => (p.role === "interpreter" ? t(locale, "stageInterpreter", { name: p.name }) : p.name));
    const text = names.length ? t(locale, "stageOn", { names: names.join(", ") }) : t(locale, "stageEmpty");
    if (line.textContent !== text) line.textContent = text;
  }

  #renderSchedule() {
    const list = this.views?.events;
    if (!list) return;
    const locale = this.locale();
    const now = this.now();
    this.scheduleAt = now;
    const rows = scheduleRows(this.events, locale, now, this.going);
    // The zone sends the schedule again at every change (each RSVP anywhere changes a
    // count): draw only what changed, and keep the focus on the button it was on.
    const signature = JSON.stringify([locale, [...this.busy], rows]);
    if (signature === this.scheduleShown) return;
    this.scheduleShown = signature;
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.event : null;
    if (rows.length === 0) {
      list.replaceChildren(el("li", { class: "empty", i18n: ["festivalNoEvents", locale] }));
      return;
    }
    const sub = Math.min(6, this.level + 1);
    list.replaceChildren(
      ...rows.map((row) => {
        const title = el(`h${sub}`, { class: "festival-event-title", text: row.title });
        if (row.live) title.append(" ", el("span", { class: "festival-live", i18n: ["eventLive", locale] }));
        const rsvp = el("button", {
          type: "button",
          class: row.going ? "festival-rsvp going" : "festival-rsvp",
          "data-event": String(row.id),
          disabled: this.busy.has(row.id),
          text: t(locale, row.going ? "rsvpCancel" : "rsvpGo"),
          "aria-label": t(locale, row.going ? "rsvpCancelNamed" : "rsvpGoNamed", { title: row.title }),
          onclick: () => this.rsvp(row.id, !row.going),
        });
        return el(
          "li",
          { class: "festival-event", "data-event": String(row.id) },
          title,
          el("p", { class: "meta", text: row.when }),
          row.description ? el("p", { class: "festival-event-description", text: row.description }) : null,
          el(
            "p",
            { class: "festival-rsvp-row" },
            rsvp,
            " ",
            el("span", { class: "meta", text: t(locale, "rsvpCount", { n: formatCount(row.rsvps, locale) }) }),
            row.going ? el("span", { class: "festival-going", text: ` ${t(locale, "rsvpYouGo")}` }) : null,
          ),
        );
      }),
    );
    if (focused) list.querySelector(`button[data-event="${CSS.escape(focused)}"]`)?.focus();
  }

  #renderNotice() {
    const notice = this.views?.notice;
    if (!notice) return;
    const text = this.started ? startedText(this.locale(), this.started) : "";
    if (notice.textContent !== text) notice.textContent = text;
  }

  #showActive() {
    const active = this.active;
    this.roots.panel.hidden = !active;
    if (this.roots.reactions) this.roots.reactions.hidden = !active;
    if (this.roots.countdown) this.roots.countdown.hidden = !active;
    if (!active) {
      clearTimeout(this.timer);
      this.timer = null;
    } else this.tick();
  }

  // -- the clock -----------------------------------------------------------------------------

  /** Fire what is due, show the countdown and the crowd; called again in time for the next. */
  tick() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.active || !this.views) return;
    const now = this.now();
    for (const stroke of this.moments.due(now)) this.#fire(stroke, now);
    this.#renderCountdown(now);
    const local = performance.now();
    if (local - this.summaryAt >= SUMMARY_MS) {
      this.summaryAt = local;
      this.#renderSummary();
    }
    if (now - this.scheduleAt >= SCHEDULE_MS / 1000) this.#renderSchedule();
    const wait = this.moments.wait(now) * 1000;
    this.timer = setTimeout(() => this.tick(), Math.max(5, Math.min(TICK_MS, wait + 1)));
  }

  #renderCountdown(now) {
    const view = this.views.countdown;
    const locale = this.locale();
    const shown = countdownAt(this.moments, now);
    const label = shown ? momentLabel(locale, shown.moment) : "";
    const number = shown ? shown.text : "";
    if (view.label.textContent !== label) view.label.textContent = label;
    if (view.number.textContent !== number) view.number.textContent = number;
    view.root.classList.toggle("counting", Boolean(shown));
    view.root.classList.toggle("idle", !shown && !view.announce.textContent && !view.caption.textContent);
    this.views.ring.hidden = !this.#nearBell();
    // Said once, ten seconds ahead (the timer itself is not read out).
    if (shown && shown.seconds <= 10 && shown.seconds > 0 && !this.soonSaid.has(shown.moment.id)) {
      this.soonSaid.add(shown.moment.id);
      this.#announce(momentSoon(locale, shown.moment, shown.seconds));
    }
    const next = this.moments.next(now);
    const line = next
      ? t(locale, "momentNext", { label: momentLabel(locale, next.moment), time: clockTime(next.at, locale) })
      : "";
    if (this.views.next.textContent !== line) this.views.next.textContent = line;
  }

  #renderSummary() {
    const { summary, bars } = this.views.reactions;
    const totals = this.totals();
    const text = reactionSummary(this.locale(), totals);
    if (summary.textContent !== text) summary.textContent = text;
    totals.zone.forEach((n, i) => {
      bars[i].style.width = `${Math.round(100 * intensity(n))}%`;
    });
  }

  #fire(stroke, now) {
    const { moment, index, at } = stroke;
    this.fired.push({ id: moment.id, index, kind: moment.kind, at, firedAt: now });
    if (this.fired.length > FIRED_KEPT) this.fired.splice(0, this.fired.length - FIRED_KEPT);
    this.roots.panel.dataset.fired = String(this.fired.length);
    this.roots.panel.dataset.lastFired = `${moment.id}:${index}`;
    this.#announce(momentAnnouncement(this.locale(), moment, index));
    const view = this.views.countdown;
    // Restart the ring's pulse (a class removed and added in one frame would not restart it).
    view.root.classList.remove("ring");
    void view.root.offsetWidth;
    view.root.classList.add("ring");
    if (moment.kind === "bell") this.sound.bell();
    else this.sound.chime();
    this.dispatchEvent(new CustomEvent("moment", { detail: stroke }));
  }

  #announce(text) {
    const view = this.views?.countdown;
    if (!view) return;
    view.announce.textContent = text;
    view.root.classList.remove("idle");
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => {
      view.announce.textContent = "";
      view.root.classList.remove("ring");
      this.#renderCountdown(this.now());
    }, ANNOUNCE_MS);
  }

  #caption(data) {
    const view = this.views?.countdown;
    if (!view || typeof data?.text !== "string") return;
    const from = typeof data.from === "string" && data.from ? data.from : "";
    view.caption.textContent = from ? t(this.locale(), "announcementFrom", { from, text: data.text }) : data.text;
    if (typeof data.locale === "string" && data.locale) view.caption.lang = data.locale;
    else view.caption.removeAttribute("lang");
    view.root.classList.remove("idle");
    clearTimeout(this.captionTimer);
    this.captionTimer = setTimeout(() => {
      view.caption.textContent = "";
      this.#renderCountdown(this.now());
    }, CAPTION_MS);
  }

  /** Whether the avatar stands at the bell (the layout's spot `bell`), where ringers ring. */
  #nearBell() {
    const scene = this.visit.scene;
    if (!this.active || scene?.name !== FESTIVAL_ZONE) return false;
    const spot = (scene.spots ?? []).find((s) => s.id === BELL_SPOT);
    if (!spot) return false;
    const { x, z } = this.visit.self;
    return Math.hypot(x - spot.position[0], z - spot.position[2]) <= (spot.radius ?? 0);
  }

  /** Ring a stroke of the bell (a citizen the event on now chose, standing at it). */
  async ringBell() {
    const { ring, ringNote } = this.views;
    ring.disabled = true;
    say(ringNote, "");
    const result = await ask(this.visit, "bell.ring");
    ring.disabled = false;
    const locale = this.locale();
    say(ringNote, result.ok ? t(locale, "bellRang") : refusalText(locale, result.detail), !result.ok);
  }

  // -- reactions, RSVPs, starts --------------------------------------------------------------

  /**
   * Send a reaction (0 cheer, 1 clap, 2 heart) unless it is past the allowance (then the
   * press is ignored: every reaction shown is one counted). Returns whether it went out.
   */
  react(kind, control = null) {
    const name = REACTION_KINDS[kind];
    if (!name || !this.active) return false;
    if (!this.allowance.take(localSeconds()) || !sendReaction(this.visit.connection, kind)) {
      control?.classList.add("limited");
      setTimeout(() => control?.classList.remove("limited"), 300);
      return false;
    }
    this.sent[name] += 1;
    this.dispatchEvent(new CustomEvent("reacted", { detail: { kind: name } }));
    return true;
  }

  /** Say this user comes to event `id` (or, with `going` false, not any more). */
  async rsvp(id, going = true) {
    if (this.busy.has(id)) return;
    const locale = this.locale();
    this.busy.add(id);
    say(this.views.rsvpNote, "");
    this.#renderSchedule();
    const { ok, status, data } = await this.#api("POST", "/api/events/rsvp", { id, going });
    this.busy.delete(id);
    if (ok && data) {
      this.going.set(id, data.going === null || data.going === undefined ? going : data.going === true);
      this.events = this.events.map((event) => (event?.id === id ? { ...event, rsvps: data.rsvps } : event));
      const title = pickText(data.title, locale);
      say(this.views.rsvpNote, t(locale, going ? "rsvpDone" : "rsvpWithdrawn", { title }));
    } else {
      const reason = data?.reason ?? (status ? `HTTP ${status}` : t(locale, "rsvpOffline"));
      say(this.views.rsvpNote, t(locale, "rsvpFailed", { reason }), true);
    }
    this.#renderSchedule();
  }

  #startedEvent(event) {
    if (!event || !Number.isInteger(event.id) || this.startsTold.has(event.id)) return;
    this.startsTold.add(event.id);
    this.started = event;
    this.events = this.events.map((e) => (e?.id === event.id ? { ...e, ...event } : e));
    this.#renderNotice();
    this.#renderSchedule();
    const toast = this.roots.toast;
    if (!toast) return;
    let line = toast.querySelector(".festival-toast-line");
    if (!line) {
      // A live region is read out only if it is in the page before its text changes.
      line = el("p", { class: "festival-toast-line", role: "status", "aria-atomic": "true" });
      toast.replaceChildren(line);
    }
    line.textContent = startedText(this.locale(), event);
    toast.classList.remove("idle");
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      line.textContent = "";
      toast.classList.add("idle");
    }, TOAST_MS);
  }

  /** Call the HTTP API with the user's token: {ok, status, data}; never throws. */
  async #api(method, path, body) {
    try {
      const response = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${this.visit.token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      return { ok: response.ok, status: response.status, data };
    } catch {
      return { ok: false, status: 0, data: null };
    }
  }
}

/** Prepare a page's toast element for FestivalDesk (empty and out of sight until a start). */
export function festivalToast(element) {
  element.classList.add("festival-toast", "idle");
  element.replaceChildren(el("p", { class: "festival-toast-line", role: "status", "aria-atomic": "true" }));
  return element;
}
