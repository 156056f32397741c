// Seoul Plaza's notice board (docs/protocol.md 17.4, zone seoul_plaza) for both pages: the
// `notices` event's list, already in the reader's language, and for staff roles a form that
// posts a notice (notice.post) in the language they write in.
import { t } from "../i18n.js";
import { button, el, heading, note, say, textField } from "./dom.js";
import { jsonBytes, localeMap, shortDate } from "./texts.js";
import { ask, refusalText } from "./zone_requests.js";

export const NOTICE_ZONE = "seoul_plaza";
/** Roles that may post a notice (world/zones/seoul_plaza.py NOTICE_POSTERS). */
export const NOTICE_ROLES = Object.freeze(["staff", "organizer", "moderator", "admin"]);
/** A ZONE message must fit in 4,096 bytes with its framing; longer notices go over HTTP. */
const MAX_POST_BYTES = 3800;

export class NoticeBoard {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {HTMLElement} root where the board is drawn
   * @param {() => string} locale the reader's language now
   * @param {{level?: number}} [options] heading level of the notices' titles
   */
  constructor(visit, root, locale, { level = 3 } = {}) {
    this.visit = visit;
    this.locale = locale;
    this.level = level;
    /** The board as last sent: [{id, title, body, locale, posted_at, expires_at}]. */
    this.notices = [];
    this.list = el("ul", { class: "notice-list" });
    root.append(this.list);
    if (NOTICE_ROLES.includes(visit.role)) root.append(this.#form());
    visit.feed.addEventListener("reset", () => {
      this.notices = [];
      this.render();
    });
    visit.feed.addEventListener("resume", () => this.refresh());
    visit.feed.on(NOTICE_ZONE, {
      notices: (data) => {
        this.notices = Array.isArray(data?.notices) ? data.notices : [];
        this.render();
      },
    });
    this.render();
  }

  /** Ask for the board again (after a reconnect that may have missed a change). */
  async refresh() {
    if (this.visit.zone?.name !== NOTICE_ZONE) return;
    const result = await ask(this.visit, "notices");
    if (result.ok && Array.isArray(result.detail?.notices)) {
      this.notices = result.detail.notices;
      this.render();
    }
  }

  /** Draw the notices (again, e.g. in another language). */
  render() {
    const locale = this.locale();
    if (this.notices.length === 0) {
      this.list.replaceChildren(el("li", { class: "empty", text: t(locale, "noNotices") }));
      return;
    }
    this.list.replaceChildren(
      ...this.notices.map((notice) => {
        const item = el(
          "li",
          { class: "notice", lang: notice.locale || undefined },
          el(`h${this.level}`, { class: "notice-title", text: notice.title }),
          el("p", { class: "notice-body", text: notice.body }),
        );
        if (typeof notice.posted_at === "number") {
          const time = el("time", {
            dateTime: new Date(notice.posted_at * 1000).toISOString(),
            text: t(locale, "postedAt", { time: shortDate(notice.posted_at, locale) }),
          });
          item.append(el("p", { class: "meta", lang: locale }, time));
        }
        return item;
      }),
    );
  }

  #form() {
    const locale = this.locale();
    const title = textField("notice-title", "fieldTitle", locale, { maxLength: 100 });
    const body = textField("notice-body", "fieldText", locale, { maxLength: 1000, rows: 3 });
    const status = note();
    const submit = button("post", locale, { type: "submit" });
    const form = el("form", { class: "zone-form notice-form" }, title.row, body.row, el("p", {}, submit), status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const locale = this.locale();
      const data = {
        title: localeMap(locale, title.control.value),
        body: localeMap(locale, body.control.value),
      };
      if (jsonBytes(data) > MAX_POST_BYTES) {
        say(status, t(locale, "noticeTooLong"), true);
        return;
      }
      submit.disabled = true;
      say(status, "");
      const result = await ask(this.visit, "notice.post", data);
      submit.disabled = false;
      if (result.ok) {
        title.control.value = "";
        body.control.value = "";
        say(status, t(this.locale(), "noticePosted"));
      } else say(status, refusalText(this.locale(), result.detail), true);
    });
    return el("div", { class: "zone-subsection" }, heading(this.level, "postNotice", locale), form);
  }
}
