// The 120 Center's status line (center.js), which the page shows in every zone: this user's
// ticket in one line, so the citizen can walk the city while waiting and still be told its
// place in the queue (politely) and the call to a desk (as an alert). A ticket that is over
// is shown a while (the desk's `doneUntil`), then the line goes.
import { isOpen, ticketLine } from "./center_model.js";
import { el } from "./dom.js";

export class CenterToast {
  /**
   * @param {import("./center.js").CenterDesk} desk
   * @param {HTMLElement} element the page's status line, drawn into here
   */
  constructor(desk, element) {
    this.desk = desk;
    this.element = element;
    // Live regions are read out only if they are in the page before their text changes, so
    // the status line is never `hidden`: with nothing to say it is empty and out of sight.
    this.status = el("p", { class: "center-toast-status", role: "status", "aria-atomic": "true" });
    this.alert = el("p", { class: "center-toast-alert", role: "alert" });
    element.replaceChildren(this.status, this.alert);
    element.hidden = false;
    element.classList.add("idle");
    this.timer = null;
  }

  update(locale) {
    const desk = this.desk;
    const ticket = desk.ticket;
    const left = desk.doneUntil - Date.now();
    const shown = isOpen(ticket) || (Boolean(ticket) && left > 0);
    clearTimeout(this.timer);
    // A ticket that is over is shown a while, then the line goes.
    if (shown && !isOpen(ticket)) this.timer = setTimeout(() => desk.update(), left + 50);
    const line = shown ? ticketLine(locale, ticket, { here: desk.active }) : "";
    // A call is an alert; the place in the queue is polite news. Each is written only when
    // it changes, so nothing is read out twice.
    const calling = ticket?.state === "called";
    const status = calling ? "" : line;
    const alert = calling ? line : "";
    if (this.status.textContent !== status) this.status.textContent = status;
    if (this.alert.textContent !== alert) this.alert.textContent = alert;
    this.element.classList.toggle("idle", !shown);
    this.element.classList.toggle("calling", calling);
  }
}
