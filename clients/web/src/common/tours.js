// Guided tours of the Tourism District (docs/protocol.md 17.4) for both pages: the tours
// running now with Join / Leave, "Go to guide" for a member, the guide's narration as marked
// lines in the chat log, and for users with the guide role Start tour / Narrate / End tour.
import { t } from "../i18n.js";
import { button, el, heading, note, say, textField } from "./dom.js";
import { ask, refusalText } from "./zone_requests.js";

export const TOUR_ZONE = "tourism";
export const GUIDE_ROLE = "guide";

export class GuidedTours {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {import("./chat.js").ChatLog} chat where narrations and tour news are shown
   * @param {HTMLElement} root
   * @param {() => string} locale
   * @param {{level?: number}} [options]
   */
  constructor(visit, chat, root, locale, { level = 3 } = {}) {
    this.visit = visit;
    this.chat = chat;
    this.locale = locale;
    /** Running tours by guide avatar id: {guide, name, title, members}. */
    this.tours = new Map();
    /** The guide of the tour this user is on, or null. */
    this.member = null;
    this.guide = visit.role === GUIDE_ROLE;
    const loc = locale();
    this.list = el("ul", { class: "tour-list" });
    this.mine = el("div", { class: "tour-mine" });
    this.status = note();
    root.append(heading(level, "guidedTours", loc), this.list, this.mine);
    if (this.guide) root.append(this.#guideControls(loc));
    root.append(this.status);
    visit.feed.addEventListener("reset", () => {
      this.tours.clear();
      this.member = null;
      this.render();
    });
    visit.feed.on(TOUR_ZONE, {
      tours: (data) => {
        this.tours = new Map((data?.tours ?? []).map((tour) => [tour.guide, { ...tour }]));
        this.render();
      },
      "tour.started": (data) => {
        this.tours.set(data.guide, { guide: data.guide, name: data.name, title: data.title, members: 0 });
        if (data.guide !== visit.connection.avatarId) {
          chat.system("tourStarted", { name: data.name, title: data.title });
        }
        this.render();
      },
      "tour.ended": (data) => {
        this.tours.delete(data.guide);
        if (this.member === data.guide || data.guide === visit.connection.avatarId) {
          chat.system("tourEnded", { title: data.title });
        }
        if (this.member === data.guide) this.member = null;
        this.render();
      },
      "tour.joined": (data) => this.#members(data),
      "tour.left": (data) => this.#members(data),
      "tour.narration": (data) => chat.narration(data.name, data.text),
    });
    this.render();
  }

  /** The tour this user leads, if any. */
  get leading() {
    return this.tours.get(this.visit.connection.avatarId) ?? null;
  }

  #members(data) {
    const tour = this.tours.get(data.guide);
    if (tour && Number.isInteger(data.members)) tour.members = data.members;
    this.render();
  }

  /** Draw the list and the controls for the present state (again, in another language). */
  render() {
    const locale = this.locale();
    const me = this.visit.connection.avatarId;
    if (this.tours.size === 0) {
      this.list.replaceChildren(el("li", { class: "empty", text: t(locale, "noTours") }));
    } else {
      this.list.replaceChildren(
        ...[...this.tours.values()].map((tour) => {
          const text = t(locale, "tourLine", { title: tour.title, name: tour.name, n: tour.members ?? 0 });
          const item = el("li", { class: "tour" }, el("span", { text }));
          if (tour.guide === me) return item;
          if (this.member === tour.guide) {
            item.append(" ", this.#button("leaveTour", "leaveTourNamed", tour, () => this.#leave()));
          } else if (!this.leading) {
            item.append(" ", this.#button("joinTour", "joinTourNamed", tour, () => this.#join(tour)));
          }
          return item;
        }),
      );
    }
    const on = this.member === null ? null : this.tours.get(this.member);
    this.mine.replaceChildren();
    if (on) {
      this.mine.append(
        el("p", { text: t(locale, "onTour", { title: on.title }) }),
        el("p", {}, button("goToGuide", locale, { onclick: () => this.#goto() })),
      );
    }
    if (this.guide) {
      const leading = this.leading;
      this.startForm.hidden = Boolean(leading);
      this.leadForm.hidden = !leading;
      this.leadingLine.textContent = leading
        ? t(locale, "leadingTour", { title: leading.title, n: leading.members ?? 0 })
        : "";
    }
  }

  #button(key, labelKey, tour, onclick) {
    const locale = this.locale();
    return button(key, locale, { "aria-label": t(locale, labelKey, { title: tour.title }), onclick });
  }

  async #request(type, data, onOk) {
    say(this.status, "");
    const result = await ask(this.visit, type, data);
    if (result.ok) onOk?.(result.detail);
    else say(this.status, refusalText(this.locale(), result.detail), true);
    this.render();
    return result.ok;
  }

  #join(tour) {
    return this.#request("tour.join", { guide: tour.guide }, (detail) => {
      this.member = tour.guide;
      if (Number.isInteger(detail?.members)) tour.members = detail.members;
      say(this.status, t(this.locale(), "tourJoined", { title: tour.title }));
    });
  }

  #leave() {
    return this.#request("tour.leave", {}, () => {
      this.member = null;
      say(this.status, t(this.locale(), "tourLeft"));
    });
  }

  #goto() {
    return this.#request("tour.goto", {});
  }

  #guideControls(locale) {
    const title = textField("tour-title", "tourTitle", locale, { maxLength: 80 });
    const start = el(
      "form",
      { class: "zone-form tour-start" },
      title.row,
      el("p", {}, button("startTour", locale, { type: "submit" })),
    );
    start.addEventListener("submit", async (event) => {
      event.preventDefault();
      const ok = await this.#request("tour.start", { title: title.control.value.trim() });
      if (ok) title.control.value = "";
    });
    const text = textField("tour-narration", "narration", locale, { maxLength: 300 });
    this.leadingLine = el("p", { class: "meta" });
    const lead = el(
      "form",
      { class: "zone-form tour-lead" },
      this.leadingLine,
      text.row,
      el(
        "p",
        {},
        button("narrate", locale, { type: "submit" }),
        " ",
        button("endTour", locale, { onclick: () => this.#request("tour.end", {}) }),
      ),
    );
    lead.addEventListener("submit", async (event) => {
      event.preventDefault();
      const ok = await this.#request("tour.narrate", { text: text.control.value.trim() });
      if (ok) text.control.value = "";
    });
    this.startForm = start;
    this.leadForm = lead;
    lead.hidden = true;
    return el("div", { class: "tour-guide" }, start, lead);
  }
}
