// The Metaverse 120 Center's panel for both pages (docs/center120.md, zone center_120): the
// desks (open with the civil servant's name, or closed) and the queues with their wait,
// "Take a number" (a callback request outside staffed hours), "My ticket" with its place and
// wait, the call to a desk with "Go to the desk", the private consultation, "Leave the
// queue", and after the ticket is closed the resolution and a rating.
//
// This module is the panel's one source of truth: it keeps what this user knows of the
// center (its info, the ticket, the consultation's lines, what was typed), follows the
// server's news and puts the parts together. Each part draws itself and sends its own
// request through `request()`:
//   center_board.js        opening hours, desks, queues
//   center_form.js         "Take a number" / the callback request
//   center_ticket_view.js  "My ticket": place, wait, the call, "Go to the desk", leaving
//   center_chat.js         the private consultation
//   center_rating.js       the rating of a closed ticket
//   center_toast.js        the status line the page shows in every zone
//   center_model.js        the rules, without the DOM
//
// The panel is drawn while the avatar is in the center; the ticket's news (center.ticket,
// center.message) come wherever the avatar is, and the status line keeps the citizen told:
// its place in the queue politely, the call to a desk as an alert.
//
// Events: 'info' (the center's state changed: `info`), 'called' {ticket} (a desk called
// this user's ticket).
import { CenterBoard } from "./center_board.js";
import { ConsultationChat } from "./center_chat.js";
import { TakeForm } from "./center_form.js";
import {
  CENTER_ZONE,
  addMessage,
  currentTicket,
  isOpen,
  isServed,
  mergeTicket,
  messagesOf,
  newlyCalled,
} from "./center_model.js";
import { RatingForm } from "./center_rating.js";
import { TicketView } from "./center_ticket_view.js";
import { CenterToast } from "./center_toast.js";
import { say } from "./dom.js";
import { ask, refusalText } from "./zone_requests.js";

export { CENTER_ZONE };
/** How long the status line stays after a ticket was closed or cancelled. */
const TOAST_DONE_MS = 20_000;
/** The wait before a request refused too early is asked again. */
const RETRY_MS = 1500;

export class CenterDesk extends EventTarget {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {HTMLElement} root where the panel is drawn
   * @param {() => string} locale the reader's language now
   * @param {{level?: number, toast?: HTMLElement|null}} [options] `level`: the heading level
   *   of the panel's parts; `toast`: the status line the page shows in every zone
   */
  constructor(visit, root, locale, { level = 3, toast = null } = {}) {
    super();
    this.visit = visit;
    this.root = root;
    this.locale = locale;
    this.level = level;
    /** The last `center.info`: {categories, needs, hours, desks, queues}, or null. */
    this.info = null;
    /** This user's ticket as last told (a push, an answer, center.mine), or null. */
    this.ticket = null;
    /** The consultation's lines by ticket id, oldest first. */
    this.messages = new Map();
    /** The idempotency key of the number being taken: kept until it is taken, so a retry
     * after a lost answer can never make a second ticket. */
    this.takeKey = null;
    /** What the user typed, kept across redraws (another language) and zone changes. */
    this.draft = { category: "", description: "", needs: new Set(), contact: "", message: "", stars: 0, comment: "" };
    /** Requests on their way ("take", "go", "cancel", "say", "rate"): their buttons wait. */
    this.busy = new Set();
    /** Until when (ms) the status line shows a ticket that is over. */
    this.doneUntil = 0;
    /** Tickets whose consultation so far was asked for over HTTP (once each). */
    this.histories = new Set();
    /** The panel's parts as last drawn ({board, chat, rating, ticket, form}), or null. */
    this.views = null;
    this.toast = toast ? new CenterToast(this, toast) : null;
    visit.feed.addEventListener("reset", (event) => {
      this.info = null;
      if (event.detail.zone === CENTER_ZONE) this.refresh();
      this.update();
    });
    visit.feed.addEventListener("resume", () => this.refresh());
    visit.feed.on(CENTER_ZONE, { "center.info": (data) => this.#setInfo(data) });
    // A ticket's news come from the center wherever the avatar is (the feed keeps only
    // the news of the zone the avatar is in).
    visit.connection.addEventListener("zoneevent", (event) => {
      const { zone, event: name, data } = event.detail;
      if (zone !== CENTER_ZONE) return;
      if (name === "center.ticket") this.setTicket(data?.ticket);
      else if (name === "center.message") this.hear(data);
    });
    if (this.active) this.refresh();
    else this.#restore();
    this.render();
  }

  /** Whether the avatar is in the center (the panel is shown, the requests can go). */
  get active() {
    return this.visit.zone?.name === CENTER_ZONE;
  }

  /** The consultation of the ticket shown. */
  get lines() {
    return (this.ticket && this.messages.get(this.ticket.id)) ?? [];
  }

  /** Ask for this user's tickets again: on joining the center and after a reconnect. */
  async refresh() {
    if (!this.active) return;
    const result = await ask(this.visit, "center.mine");
    if (result.ok) this.#adopt(result.detail?.tickets);
  }

  /** Draw the whole panel again (another language); what was typed stays in `draft`. */
  render() {
    const locale = this.locale();
    const level = this.level;
    const sub = Math.min(6, level + 1);
    const board = new CenterBoard(locale, level);
    const chat = new ConsultationChat(this, locale, sub);
    const rating = new RatingForm(this, locale, sub);
    // The rating and the consultation belong to the ticket, so they are drawn inside it.
    const ticket = new TicketView(this, locale, level, [rating.root, chat.root]);
    const form = new TakeForm(this, locale, level);
    this.views = { board, chat, rating, ticket, form };
    this.root.replaceChildren(board.hours, ticket.root, form.root, ...board.lists);
    this.update();
  }

  /** Bring what is shown up to date with the info, the ticket and the zone. */
  update() {
    const views = this.views;
    if (!views) return;
    const locale = this.locale();
    views.board.update(locale, this.info);
    views.ticket.update(locale);
    views.chat.update(locale);
    views.rating.update(locale);
    views.form.update(locale);
    this.toast?.update(locale);
  }

  // -- news ----------------------------------------------------------------------------------

  /** Take in a ticket of this user's (a push or an answer): newer news replace the shown. */
  setTicket(incoming) {
    const previous = this.ticket;
    const next = mergeTicket(previous, incoming);
    if (next === previous) return;
    this.ticket = next;
    // What was said about the ticket's last step is old news once it moves on.
    if (this.views && (previous?.id !== next.id || previous?.state !== next.state)) say(this.views.ticket.status, "");
    if (previous?.id !== next.id) {
      this.draft.stars = 0;
      this.draft.comment = "";
    }
    if (isOpen(previous) && previous.id === next.id && !isOpen(next)) this.doneUntil = Date.now() + TOAST_DONE_MS;
    if (isServed(next)) this.#loadHistory(next.id);
    this.update();
    if (newlyCalled(previous, next)) this.dispatchEvent(new CustomEvent("called", { detail: { ticket: next } }));
  }

  /** Take in a line of a consultation (a push or the answer to one sent); each counts once. */
  hear(data) {
    if (!data || !Number.isInteger(data.ticket)) return;
    const lines = this.messages.get(data.ticket) ?? [];
    const next = addMessage(lines, data);
    if (next === lines) return;
    this.messages.set(data.ticket, next);
    if (data.ticket === this.ticket?.id) this.views?.chat.renderMessages(this.locale());
  }

  /** Server time now (seconds). */
  now() {
    return this.visit.connection.clock?.serverNow?.() ?? Date.now() / 1000;
  }

  #setInfo(data) {
    this.info = data && typeof data === "object" ? data : null;
    this.views?.form.fillChoices(this.locale());
    this.update();
    this.dispatchEvent(new CustomEvent("info", { detail: this.info }));
  }

  #adopt(tickets) {
    if (!Array.isArray(tickets)) return;
    const known = tickets.find((ticket) => ticket?.id === this.ticket?.id);
    if (known) this.setTicket(known);
    const mine = currentTicket(tickets, this.now());
    if (mine) this.setTicket(mine);
  }

  /**
   * The tickets over HTTP, when the page starts outside the center (a reload while waiting):
   * the status line then shows the ticket at once, not at its next change.
   */
  async #restore() {
    const data = await this.#get("/api/center/tickets/mine");
    this.#adopt(data?.tickets);
  }

  /** The consultation so far, once per ticket (after a reload, the lines before it). */
  async #loadHistory(id) {
    if (this.histories.has(id)) return;
    this.histories.add(id);
    const ticket = await this.#get(`/api/center/tickets?id=${encodeURIComponent(id)}`);
    if (!ticket || ticket.id !== id) return;
    let lines = this.messages.get(id) ?? [];
    for (const line of messagesOf(ticket)) lines = addMessage(lines, line);
    this.messages.set(id, lines);
    if (this.ticket?.id === id) this.views?.chat.renderMessages(this.locale());
  }

  /** GET an API path with the user's token; null when it cannot be had. */
  async #get(path) {
    try {
      const response = await fetch(path, {
        headers: { Authorization: `Bearer ${this.visit.token}` },
        cache: "no-store",
      });
      return response.ok ? await response.json() : null;
    } catch {
      return null;
    }
  }

  // -- requests ------------------------------------------------------------------------------

  /**
   * Send one of the panel's requests: its button (`busy` under `name`) waits meanwhile, and
   * a refusal is told in `status`. `retry(result)` says whether a refusal was only too early
   * and is worth asking once more.
   * @returns {Promise<{ok: boolean, detail: any}>}
   */
  async request(name, type, data, status, retry = () => false) {
    this.busy.add(name);
    say(status, "");
    this.update();
    let result = await ask(this.visit, type, data);
    if (!result.ok && retry(result)) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      result = await ask(this.visit, type, data);
    }
    this.busy.delete(name);
    if (!result.ok) say(status, refusalText(this.locale(), result.detail), true);
    this.update();
    return result;
  }
}
