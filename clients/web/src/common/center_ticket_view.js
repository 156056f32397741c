// "My ticket" in the 120 Center's panel (center.js): the number, queue and state, the place
// in the queue and the wait, the call to a desk with "Go to the desk", "Leave the queue",
// and the resolution once the ticket is closed. The rating and the consultation are drawn
// by their own modules and placed inside this box, at its end.
import { t } from "../i18n.js";
import { categoryText, isServed, stateText, ticketLine, waitText } from "./center_model.js";
import { button, el, heading, note, say } from "./dom.js";
import { refusalKey } from "./texts.js";

export class TicketView {
  /**
   * @param {import("./center.js").CenterDesk} desk
   * @param {string} locale
   * @param {number} level the heading level of "My ticket"
   * @param {HTMLElement[]} more the parts drawn after the ticket's own (rating, consultation)
   */
  constructor(desk, locale, level, more) {
    this.desk = desk;
    this.head = el("p", { class: "center-ticket-head" });
    this.place = el("p", { class: "center-ticket-place" });
    this.wait = el("p", { class: "center-ticket-wait" });
    this.called = el("p", { class: "center-called" });
    this.go = button("centerGoToDesk", locale, { class: "center-go", onclick: () => this.#go() });
    this.leave = button("centerLeave", locale, { class: "center-leave", onclick: () => this.#cancel() });
    this.actions = el("p", { class: "center-actions" }, this.go, " ", this.leave);
    /** What became of the ticket's last request (and "your number is …" once taken). */
    this.status = note();
    this.resolution = el("p", { class: "center-resolution" });
    this.root = el(
      "div",
      { class: "zone-subsection center-ticket" },
      heading(level, "centerMyTicket", locale),
      this.head,
      this.place,
      this.wait,
      this.called,
      this.actions,
      this.status,
      this.resolution,
      ...more,
    );
  }

  update(locale) {
    const desk = this.desk;
    const ticket = desk.ticket;
    this.root.hidden = !ticket;
    if (!ticket) return;
    const number = t(locale, "centerTicketNumber", { number: ticket.id });
    const state = t(locale, "centerTicketState", { state: stateText(locale, ticket.state) });
    const category = categoryText(locale, ticket.category);
    this.head.textContent = [number, category, state].filter(Boolean).join(" · ");
    const waiting = ticket.state === "waiting";
    this.place.hidden = !waiting || !Number.isInteger(ticket.position);
    this.place.textContent = waiting ? t(locale, "centerPosition", { position: ticket.position }) : "";
    this.wait.hidden = !waiting;
    this.wait.textContent = waiting ? t(locale, "centerWaitEstimate", { wait: waitText(locale, ticket.wait_s) }) : "";
    const served = isServed(ticket) && Number.isInteger(ticket.desk);
    this.called.hidden = !served;
    this.called.textContent = served ? ticketLine(locale, ticket) : "";
    this.called.classList.toggle("calling", ticket.state === "called");
    // Going to the desk moves the avatar within the center, so it is offered only there.
    this.go.hidden = !served || !desk.active;
    this.go.disabled = desk.busy.has("go");
    this.leave.hidden = !["waiting", "called"].includes(ticket.state);
    this.leave.disabled = desk.busy.has("cancel");
    this.actions.hidden = this.go.hidden && this.leave.hidden;
    const closed = ticket.state === "closed";
    this.resolution.hidden = !closed || !ticket.resolution;
    this.resolution.replaceChildren(
      el("strong", { text: t(locale, "centerResolution") }),
      " ",
      el("span", { text: ticket.resolution ?? "" }),
    );
  }

  async #go() {
    const desk = this.desk;
    const status = this.status;
    // The room learns of a call a moment after the citizen does (the call is pushed at
    // once, the center's state follows): asked that soon, ask once more before saying no.
    const early = (result) => refusalKey(result.detail) === "refusedNotCalled" && isServed(desk.ticket);
    const result = await desk.request("go", "center.go", {}, status, early);
    if (result.ok) say(status, t(desk.locale(), "centerWentToDesk", { desk: result.detail?.desk ?? "" }));
  }

  async #cancel() {
    const desk = this.desk;
    const status = this.status;
    if (!desk.ticket) return;
    const result = await desk.request("cancel", "center.cancel", { id: desk.ticket.id }, status);
    if (!result.ok) return;
    desk.setTicket(result.detail);
    say(status, t(desk.locale(), "centerLeft"));
  }
}
