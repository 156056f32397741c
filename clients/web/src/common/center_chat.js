// The private consultation in the 120 Center's panel (center.js): the lines between the
// citizen and the desk serving the ticket, as a log that reads out each new line, and the
// input to send one while a desk serves the ticket. Afterwards the log stays to be read
// again. The lines themselves are kept by the desk (`messages`), across redraws.
import { t } from "../i18n.js";
import { MAX_MESSAGE_CHARS, isServed } from "./center_model.js";
import { button, el, heading, note, uid } from "./dom.js";
import { clockTime } from "./texts.js";

export class ConsultationChat {
  /**
   * @param {import("./center.js").CenterDesk} desk
   * @param {string} locale
   * @param {number} level the heading level of the consultation
   */
  constructor(desk, locale, level) {
    this.desk = desk;
    this.list = el("ul", { class: "center-messages" });
    // A log (not a list's role) around the list: new lines are read out, the list stays one.
    const log = el(
      "div",
      {
        class: "chat-log center-log",
        role: "log",
        "aria-live": "polite",
        "aria-label": t(locale, "centerConsultation"),
        tabIndex: 0,
      },
      this.list,
    );
    const inputId = uid("center-message");
    const input = el("input", {
      id: inputId,
      type: "text",
      maxLength: MAX_MESSAGE_CHARS,
      autocomplete: "off",
      enterKeyHint: "send",
      value: desk.draft.message,
      oninput: () => {
        desk.draft.message = input.value;
      },
    });
    this.input = input;
    this.send = button("send", locale, { type: "submit" });
    this.status = note();
    this.form = el(
      "form",
      { class: "chat-form center-talk" },
      el("label", { for: inputId, i18n: ["centerMessage", locale] }),
      input,
      this.send,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!desk.busy.has("say")) this.#say();
    });
    this.root = el(
      "div",
      { class: "center-consultation" },
      heading(level, "centerConsultation", locale),
      el("p", { class: "zone-hint", i18n: ["centerPrivateHint", locale] }),
      log,
      this.form,
      this.status,
    );
    /** What the log shows: {ticket, locale, count}, or null before it is first drawn. */
    this.shown = null;
  }

  update(locale) {
    const desk = this.desk;
    const ticket = desk.ticket;
    if (!ticket) {
      this.root.hidden = true;
      return;
    }
    // While a desk serves the ticket, and afterwards to read it again.
    const served = isServed(ticket) && Number.isInteger(ticket.desk);
    this.root.hidden = !served && desk.lines.length === 0;
    this.form.hidden = !isServed(ticket);
    this.send.disabled = desk.busy.has("say");
    this.renderMessages(locale);
  }

  /** Show the lines of the desk's ticket. */
  renderMessages(locale) {
    const desk = this.desk;
    const lines = desk.lines;
    const shown = this.shown;
    // Only new lines are added, so that the log reads out each line once.
    const more =
      shown?.ticket === desk.ticket?.id && shown?.locale === locale && shown.count > 0 && lines.length >= shown.count;
    const empty = () => el("li", { class: "empty", text: t(locale, "centerNoMessages") });
    if (lines.length === 0) this.list.replaceChildren(empty());
    else if (more) this.list.append(...lines.slice(shown.count).map((line) => this.#messageItem(line, locale)));
    else this.list.replaceChildren(...lines.map((line) => this.#messageItem(line, locale)));
    this.shown = { ticket: desk.ticket?.id, locale, count: lines.length };
    if (lines.length > 0 && desk.ticket) this.root.hidden = false;
  }

  #messageItem(line, locale) {
    const mine = line.from === this.desk.ticket?.citizen;
    const time = typeof line.at === "number" ? clockTime(line.at, locale) : "";
    return el(
      "li",
      { class: `chat-line${mine ? " chat-mine" : ""}` },
      time ? el("time", { text: time }) : null,
      el("strong", { class: "chat-name", text: `${line.name ?? ""}: ` }),
      el("span", { class: "chat-text", text: line.text }),
    );
  }

  async #say() {
    const desk = this.desk;
    const { input, status } = this;
    const text = desk.draft.message.trim();
    const ticket = desk.ticket;
    if (!text || !ticket) {
      input.focus();
      return;
    }
    const result = await desk.request("say", "center.say", { id: ticket.id, text }, status);
    if (!result.ok) return;
    desk.draft.message = "";
    input.value = "";
    // The answer is the stored line; its push may come before or after it, and counts once.
    const event = result.detail;
    if (event && Number.isInteger(event.id)) {
      desk.hear({
        ticket: ticket.id,
        id: event.id,
        at: event.at ?? desk.now(),
        from: event.actor ?? ticket.citizen,
        name: event.detail?.name ?? ticket.citizen_name ?? "",
        text: event.detail?.text ?? text,
      });
    }
  }
}
