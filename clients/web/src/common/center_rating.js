// The rating of a closed ticket in the 120 Center's panel (center.js): one to five stars and
// a comment, sent once; afterwards the rating given is shown instead of the form. The stars
// and comment chosen are kept in the desk's `draft` until the ticket changes.
import { t } from "../i18n.js";
import { MAX_COMMENT_CHARS, MAX_STARS, MIN_STARS } from "./center_model.js";
import { button, el, heading, note, say, uid } from "./dom.js";

export class RatingForm {
  /**
   * @param {import("./center.js").CenterDesk} desk
   * @param {string} locale
   * @param {number} level the heading level of the form's title
   */
  constructor(desk, locale, level) {
    this.desk = desk;
    const draft = desk.draft;
    const name = uid("center-stars");
    const stars = [];
    for (let n = MIN_STARS; n <= MAX_STARS; n++) {
      const id = `${name}-${n}`;
      const radio = el("input", {
        id,
        type: "radio",
        name,
        value: String(n),
        checked: draft.stars === n,
        onchange: () => {
          if (radio.checked) draft.stars = n;
        },
      });
      const text = n === 1 ? t(locale, "centerStarsOne") : t(locale, "centerStarsMany", { n });
      // The stars are a picture of the number, which the label's words say.
      const label = el("label", { for: id }, el("span", { "aria-hidden": "true", text: "★".repeat(n) }), ` ${text}`);
      stars.push(el("span", { class: "center-star" }, radio, label));
    }
    const commentId = uid("center-comment");
    const comment = el("textarea", {
      id: commentId,
      rows: 2,
      maxLength: MAX_COMMENT_CHARS,
      value: draft.comment,
      oninput: () => {
        draft.comment = comment.value;
      },
    });
    this.submit = button("centerRateButton", locale, { type: "submit" });
    this.form = el(
      "form",
      { class: "zone-form center-rate" },
      heading(level, "centerRate", locale),
      el("fieldset", { class: "center-stars" }, el("legend", { i18n: ["centerStars", locale] }), ...stars),
      el("p", { class: "field" }, el("label", { for: commentId, i18n: ["centerComment", locale] }), " ", comment),
      el("p", {}, this.submit),
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!desk.busy.has("rate")) this.#rate();
    });
    this.rated = el("p", { class: "center-rated" });
    this.status = note();
    this.root = el("div", { class: "center-rating" }, this.form, this.rated, this.status);
  }

  update(locale) {
    const desk = this.desk;
    const ticket = desk.ticket;
    // Only a closed ticket is rated, and only once.
    const closed = ticket?.state === "closed";
    this.root.hidden = !closed;
    if (!ticket) return;
    const rated = Number.isInteger(ticket.rating);
    this.form.hidden = rated;
    this.submit.disabled = desk.busy.has("rate");
    this.rated.hidden = !rated;
    this.rated.textContent = rated ? t(locale, "centerYourRating", { n: ticket.rating }) : "";
  }

  async #rate() {
    const desk = this.desk;
    const status = this.status;
    const stars = desk.draft.stars;
    if (!desk.ticket) return;
    if (!(stars >= MIN_STARS && stars <= MAX_STARS)) {
      say(status, t(desk.locale(), "centerStarsNeeded"), true);
      return;
    }
    const data = { id: desk.ticket.id, stars };
    const comment = desk.draft.comment.trim();
    if (comment) data.comment = comment;
    const result = await desk.request("rate", "center.rate", data, status);
    if (!result.ok) return;
    desk.setTicket(result.detail);
    say(status, t(desk.locale(), "centerRated"));
  }
}
