// The 120 Center's board in the panel (center.js): the center's state as everyone sees it,
// whoever holds a ticket — whether it is open now (else when it opens), each desk open with
// its civil servant or closed, and each queue with its wait. Drawn from `center.info` only.
import { t } from "../i18n.js";
import { deskLines, queueLines } from "./center_model.js";
import { el, heading } from "./dom.js";
import { shortDate } from "./texts.js";

export class CenterBoard {
  /**
   * @param {string} locale
   * @param {number} level the heading level of the desks' and the queues' parts
   */
  constructor(locale, level) {
    this.hours = el("p", { class: "center-hours" });
    this.desks = el("ul", { class: "center-desks" });
    this.queues = el("ul", { class: "center-queues" });
    // The hours head the panel; the desks and queues close it, after the citizen's own ticket.
    this.lists = [
      el("div", { class: "zone-subsection" }, heading(level, "centerDesks", locale), this.desks),
      el("div", { class: "zone-subsection" }, heading(level, "centerQueues", locale), this.queues),
    ];
  }

  /** Show `info` (the last `center.info`, or null while it has not come). */
  update(locale, info) {
    this.#updateHours(locale, info);
    this.#updateLists(locale, info);
  }

  #updateHours(locale, info) {
    let text;
    if (!info) text = t(locale, "centerInfoWaiting");
    else if (info.hours?.open === false) {
      text = t(locale, "centerHoursClosed", { schedule: info.hours.schedule ?? "" });
      if (typeof info.hours.next_change === "number") {
        text += ` — ${t(locale, "centerHoursOpensAt", { time: shortDate(info.hours.next_change, locale) })}`;
      }
    } else text = t(locale, "centerHoursOpen");
    this.hours.textContent = text;
  }

  #updateLists(locale, info) {
    const desks = deskLines(locale, info);
    this.desks.replaceChildren(
      ...(desks.length
        ? desks.map((desk) =>
            el(
              "li",
              { class: `center-desk-item ${desk.open ? "open" : "closed"}` },
              el("span", { class: "center-lamp", "aria-hidden": "true" }),
              el("span", { text: desk.text }),
            ),
          )
        : [el("li", { class: "empty", text: t(locale, info ? "centerNoDesks" : "centerInfoWaiting") })]),
    );
    const queues = queueLines(locale, info);
    this.queues.replaceChildren(...queues.map((queue) => el("li", { text: queue.text })));
  }
}
