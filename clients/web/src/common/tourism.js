// The Tourism District's panel for both pages (docs/protocol.md 17.4, zone tourism): the
// landmark the user walked into (poi.enter; the page shows it as a card or announces it),
// the stamp tour's progress, the city tour bus's status with "Board the bus", and the guided
// tours. Given `goTo`, it also lists the landmarks and the bus stops with a "Go" button each
// (the 2D page, whose users cannot walk by sight).
//
// Events: 'poi' {poi, title, description, locale}.
import { t } from "../i18n.js";
import { boardableStop, busStatus, stopsOf } from "./bus.js";
import { button, el, heading, note, say } from "./dom.js";
import { clockTime, pickText } from "./texts.js";
import { GuidedTours } from "./tours.js";
import { ask, refusalText } from "./zone_requests.js";

export const TOURISM_ZONE = "tourism";
/** What the stamp tour's badge shows (world/zones/tourism.py BADGE_EMOJI), by badge id. */
export const BADGE_EMOJI = Object.freeze({ seoul_tour: "🏯" });
const POI_PREFIX = "poi_";
const AREA_PREFIX = "area_";

/** The landmarks with an area (the stamp tour's stops) of a scene: {poi, area}. */
export function landmarksOf(scene) {
  const spots = new Map((scene?.spots ?? []).map((spot) => [spot.id, spot]));
  return (scene?.points_of_interest ?? [])
    .filter((poi) => poi.id.startsWith(POI_PREFIX))
    .map((poi) => ({ poi, area: spots.get(AREA_PREFIX + poi.id.slice(POI_PREFIX.length)) }))
    .filter((landmark) => landmark.area);
}

export class TourismDesk extends EventTarget {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {import("./chat.js").ChatLog} chat
   * @param {HTMLElement} root
   * @param {() => string} locale
   * @param {{level?: number, here?: HTMLElement, goTo?: (place: object) => void}} [options]
   *   `here`: where to show the landmark the user is at; `goTo`: walk there ({position,
   *   radius, title}).
   */
  constructor(visit, chat, root, locale, { level = 3, here = null, goTo = null } = {}) {
    super();
    this.visit = visit;
    this.chat = chat;
    this.locale = locale;
    this.level = level;
    this.goTo = goTo;
    this.here = here;
    /** The last `bus` event, with `receivedAt` (server time). */
    this.bus = null;
    this.riding = false;
    /** {stamps: string[], total: number, badge: string|null}. */
    this.stamps = { stamps: [], total: 0, badge: null };
    /** The landmark last walked into: {poi, title, description, locale}. */
    this.poi = null;
    const loc = locale();
    this.stampLine = el("p", { class: "stamp-line" });
    this.landmarkList = goTo ? el("ul", { class: "landmark-list" }) : null;
    this.busLine = el("p", { class: "bus-line" });
    this.boardButton = button("boardBus", loc, { class: "board-bus", onclick: () => this.#board() });
    this.busNote = note();
    this.stopList = goTo ? el("ul", { class: "stop-list" }) : null;
    const toursRoot = el("div", { class: "zone-subsection tours" });
    root.append(
      el("div", { class: "zone-subsection" }, heading(level, "stampTour", loc), this.stampLine, this.landmarkList),
      el(
        "div",
        { class: "zone-subsection" },
        heading(level, "tourBus", loc),
        this.busLine,
        el("p", {}, this.boardButton),
        this.busNote,
        this.stopList,
      ),
      toursRoot,
    );
    this.tours = new GuidedTours(visit, chat, toursRoot, locale, { level });
    visit.feed.addEventListener("reset", (event) => {
      this.bus = null;
      this.riding = false;
      this.poi = null;
      say(this.busNote, "");
      if (event.detail.zone === TOURISM_ZONE) this.refresh();
      this.render();
    });
    visit.feed.addEventListener("resume", () => this.refresh());
    visit.feed.on(TOURISM_ZONE, {
      "poi.enter": (data) => this.#entered(data),
      stamp: (data) => this.#stamp(data),
      "stamp.complete": (data) => {
        this.stamps = { ...this.stamps, stamps: data.stamps ?? this.stamps.stamps, badge: data.badge ?? null };
        chat.system("stampComplete", { badge: BADGE_EMOJI[data.badge] ?? data.badge ?? "" });
        this.render();
      },
      bus: (data) => {
        this.bus = { ...data, receivedAt: this.#now() };
        this.tick();
      },
      "bus.alighted": (data) => {
        this.riding = false;
        const stop = this.stops().get(data.stop);
        const line = t(this.locale(), "busAlighted", { stop: this.#title(stop?.title, data.stop) });
        say(this.busNote, line);
        chat.system("busAlighted", { stop: stop?.title ?? data.stop });
        this.tick();
      },
    });
    if (visit.zone?.name === TOURISM_ZONE) this.refresh();
    this.render();
  }

  /** Server time now (seconds). */
  #now() {
    return this.visit.connection.clock?.serverNow?.() ?? Date.now() / 1000;
  }

  /** The bus stops of the zone's scene (none until the tourism scene is in). */
  stops() {
    return this.visit.scene?.name === TOURISM_ZONE ? stopsOf(this.visit.scene) : new Map();
  }

  #title(map, fallback = "") {
    return pickText(map, this.locale()) || fallback;
  }

  /** Ask for this user's stamps (kept with the account). */
  async refresh() {
    if (this.visit.zone?.name !== TOURISM_ZONE) return;
    const result = await ask(this.visit, "stamps");
    if (result.ok && result.detail) {
      const { stamps = [], total = 0, badge = null } = result.detail;
      this.stamps = { stamps, total, badge };
      this.render();
    }
  }

  #entered(data) {
    const area = landmarksOf(this.visit.scene).find((landmark) => landmark.poi.id === data.poi)?.area ?? null;
    this.poi = { ...data, area };
    this.#renderHere();
    this.dispatchEvent(new CustomEvent("poi", { detail: this.poi }));
  }

  #stamp(data) {
    this.stamps = { ...this.stamps, stamps: data.stamps ?? [], total: data.total ?? this.stamps.total };
    const poi = (this.visit.scene?.points_of_interest ?? []).find((p) => p.id === data.poi);
    this.chat.system("stampCollected", {
      place: poi?.title ?? data.poi,
      n: this.stamps.stamps.length,
      total: this.stamps.total,
    });
    this.render();
  }

  async #board() {
    this.boardButton.disabled = true;
    say(this.busNote, "");
    const result = await ask(this.visit, "bus.board");
    const locale = this.locale();
    if (result.ok) {
      this.riding = true;
      const next = this.stops().get(result.detail?.next_stop);
      say(this.busNote, t(locale, "busBoarded", { stop: this.#title(next?.title, result.detail?.next_stop) }));
    } else say(this.busNote, refusalText(locale, result.detail), true);
    this.tick();
  }

  /** Draw everything again (another language, another zone). */
  render() {
    this.#renderStamps();
    this.#renderHere();
    this.#renderStops();
    this.tours.render();
    this.tick();
  }

  #renderStamps() {
    const locale = this.locale();
    const { stamps, total, badge } = this.stamps;
    const count = stamps.length;
    const shown = total || landmarksOf(this.visit.scene).length;
    this.stampLine.textContent = badge
      ? t(locale, "stampsDone", { n: count, total: shown, badge: BADGE_EMOJI[badge] ?? badge })
      : t(locale, "stampsProgress", { n: count, total: shown });
    if (!this.landmarkList) return;
    const collected = new Set(stamps);
    this.landmarkList.replaceChildren(
      ...landmarksOf(this.visit.scene).map(({ poi, area }) => {
        const title = this.#title(poi.title, poi.id);
        const mark = collected.has(poi.id) ? ` ✓ ${t(locale, "stamped")}` : "";
        return el("li", {}, el("span", { text: title + mark }), " ", this.#goButton(title, area.position, area.radius));
      }),
    );
  }

  #renderStops() {
    if (!this.stopList) return;
    this.stopList.replaceChildren(
      ...[...this.stops().values()].map((stop) => {
        const title = this.#title(stop.title, stop.id);
        return el("li", {}, el("span", { text: title }), " ", this.#goButton(title, stop.position, stop.radius));
      }),
    );
  }

  #goButton(title, position, radius) {
    const locale = this.locale();
    return button("goTo", locale, {
      "aria-label": `${t(locale, "goTo")}: ${title}`,
      onclick: () => this.goTo?.({ position, radius, title }),
    });
  }

  /** Whether the user still stands in the area of the landmark last walked into. */
  #stillThere() {
    if (this.poi === null) return false;
    // The scene may have come in after the news: look the area up again.
    this.poi.area ??= landmarksOf(this.visit.scene).find((l) => l.poi.id === this.poi.poi)?.area ?? null;
    const area = this.poi.area;
    if (!area) return true;
    const self = this.visit.self;
    return Math.hypot(self.x - area.position[0], self.z - area.position[2]) <= area.radius + 1;
  }

  #renderHere() {
    if (!this.here) return;
    const locale = this.locale();
    if (this.poi && this.#stillThere()) {
      this.here.replaceChildren(
        el(
          "div",
          { lang: this.poi.locale || undefined },
          el(`h${this.level}`, { class: "poi-title", text: this.poi.title }),
          el("p", { class: "poi-description", text: this.poi.description }),
        ),
      );
    } else {
      this.here.replaceChildren(el("p", { text: t(locale, "notAtLandmark") }));
    }
  }

  /** Refresh what changes with time: the bus's status, the board button, where the user is. */
  tick() {
    const locale = this.locale();
    const now = this.#now();
    const stops = this.stops();
    const status = busStatus(this.bus, now, stops);
    const values = { ...status.values };
    if (values.stop) values.stop = this.#title(stops.get(values.stop)?.title, values.stop);
    if (typeof values.until === "number") values.until = clockTime(values.until - this.#offset(), locale);
    let line = t(locale, status.key, values);
    if (this.riding) line = `${t(locale, "onTheBus")} — ${line}`;
    if (this.busLine.textContent !== line) this.busLine.textContent = line;
    const stop = boardableStop(this.bus, this.visit.self, stops, now, this.riding);
    this.boardButton.disabled = stop === null;
    if (this.here && this.poi && !this.#stillThere()) {
      this.poi = null;
      this.#renderHere();
    }
  }

  /** Server minus local clock, seconds: a server time shown on the reader's clock. */
  #offset() {
    return this.visit.connection.clock?.offset ?? 0;
  }
}
