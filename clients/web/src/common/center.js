// The Metaverse 120 Center's panel for both pages (docs/center120.md, zone center_120): the
// desks (open with the civil servant's name, or closed) and the queues with their wait,
// "Take a number" (a callback request outside staffed hours), "My ticket" with its place and
// wait, the call to a desk with "Go to the desk", the private consultation, "Leave the
// queue", and after the ticket is closed the resolution and a rating.
//
// The panel is drawn while the avatar is in the center; the ticket's news (center.ticket,
// center.message) come wherever the avatar is, and a short status line (`toast`, shown by
// the page in every zone) keeps the citizen told: its place in the queue politely, the call
// to a desk as an alert.
//
// Events: 'info' (the center's state changed: `info`), 'called' {ticket} (a desk called
// this user's ticket).
import { t } from "../i18n.js";
import {
  CENTER_ZONE,
  MAX_COMMENT_CHARS,
  MAX_CONTACT_CHARS,
  MAX_DESCRIPTION_CHARS,
  MAX_MESSAGE_CHARS,
  MAX_STARS,
  MIN_STARS,
  addMessage,
  callbackOnly,
  categoryText,
  currentTicket,
  deskLines,
  isOpen,
  isServed,
  isTicketKey,
  mergeTicket,
  messagesOf,
  needText,
  newTicketKey,
  newlyCalled,
  queueLines,
  stateText,
  takeRequest,
  ticketLine,
  waitText,
} from "./center_model.js";
import { button, el, heading, note, say, uid } from "./dom.js";
import { clockTime, refusalKey, shortDate } from "./texts.js";
import { ask, refusalText } from "./zone_requests.js";

export { CENTER_ZONE };
/** The queues and needs of docs/center120.md, offered until the center's own list arrives. */
const DEFAULT_CATEGORIES = Object.freeze(["transport", "tax", "welfare", "housing", "other"]);
const DEFAULT_NEEDS = Object.freeze(["sign_language", "easy_language", "large_text"]);
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
    this.toast = toast;
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
    this.ui = null;
    this.#buildToast();
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
      if (name === "center.ticket") this.#setTicket(data?.ticket);
      else if (name === "center.message") this.#heard(data);
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

  /** Draw the whole panel again (another language); what was typed stays. */
  render() {
    const locale = this.locale();
    this.ui = this.#build(locale);
    this.root.replaceChildren(...this.ui.parts);
    this.update();
  }

  /** Bring what is shown up to date with the info, the ticket and the zone. */
  update() {
    if (!this.ui) return;
    const locale = this.locale();
    this.#updateHours(locale);
    this.#updateTicket(locale);
    this.#updateForm(locale);
    this.#updateDesks(locale);
    this.#updateToast(locale);
  }

  // -- news ----------------------------------------------------------------------------------

  #setInfo(data) {
    this.info = data && typeof data === "object" ? data : null;
    this.#fillChoices(this.locale());
    this.update();
    this.dispatchEvent(new CustomEvent("info", { detail: this.info }));
  }

  #adopt(tickets) {
    if (!Array.isArray(tickets)) return;
    const known = tickets.find((ticket) => ticket?.id === this.ticket?.id);
    if (known) this.#setTicket(known);
    const mine = currentTicket(tickets, this.#now());
    if (mine) this.#setTicket(mine);
  }

  #setTicket(incoming) {
    const previous = this.ticket;
    const next = mergeTicket(previous, incoming);
    if (next === previous) return;
    this.ticket = next;
    // What was said about the ticket's last step is old news once it moves on.
    if (this.ui && (previous?.id !== next.id || previous?.state !== next.state)) say(this.ui.ticket.status, "");
    if (previous?.id !== next.id) {
      this.draft.stars = 0;
      this.draft.comment = "";
    }
    if (isOpen(previous) && previous.id === next.id && !isOpen(next)) this.doneUntil = Date.now() + TOAST_DONE_MS;
    if (isServed(next)) this.#loadHistory(next.id);
    this.update();
    if (newlyCalled(previous, next)) this.dispatchEvent(new CustomEvent("called", { detail: { ticket: next } }));
  }

  #heard(data) {
    if (!data || !Number.isInteger(data.ticket)) return;
    const lines = this.messages.get(data.ticket) ?? [];
    const next = addMessage(lines, data);
    if (next === lines) return;
    this.messages.set(data.ticket, next);
    if (data.ticket === this.ticket?.id) this.#renderMessages(this.locale());
  }

  /** Server time now (seconds). */
  #now() {
    return this.visit.connection.clock?.serverNow?.() ?? Date.now() / 1000;
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
    if (this.ticket?.id === id) this.#renderMessages(this.locale());
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

  async #request(name, type, data, status, retry = () => false) {
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

  async #take() {
    const { status } = this.ui.form;
    const locale = this.locale();
    // One key per number the citizen means to take, the same on every retry of it.
    if (!isTicketKey(this.takeKey)) this.takeKey = newTicketKey();
    const form = { ...this.draft, needs: [...this.draft.needs] };
    const request = takeRequest(form, this.takeKey, callbackOnly(this.info));
    if (request.error) {
      say(status, t(locale, request.error), true);
      return;
    }
    const result = await this.#request("take", "center.take", request.data, status);
    if (!result.ok) return; // the key stays: pressing again retries the same number
    this.takeKey = null;
    Object.assign(this.draft, { description: "", contact: "", needs: new Set() });
    this.#clearForm();
    this.#setTicket(result.detail);
    // The form goes away with an open ticket: the news is told next to the ticket.
    say(this.ui.ticket.status, t(this.locale(), "centerTaken", { number: result.detail?.id ?? "" }));
  }

  async #go() {
    const { status } = this.ui.ticket;
    // The room learns of a call a moment after the citizen does (the call is pushed at
    // once, the center's state follows): asked that soon, ask once more before saying no.
    const early = (result) => refusalKey(result.detail) === "refusedNotCalled" && isServed(this.ticket);
    const result = await this.#request("go", "center.go", {}, status, early);
    if (result.ok) say(status, t(this.locale(), "centerWentToDesk", { desk: result.detail?.desk ?? "" }));
  }

  async #cancel() {
    const { status } = this.ui.ticket;
    if (!this.ticket) return;
    const result = await this.#request("cancel", "center.cancel", { id: this.ticket.id }, status);
    if (!result.ok) return;
    this.#setTicket(result.detail);
    say(status, t(this.locale(), "centerLeft"));
  }

  async #say() {
    const { input, status } = this.ui.talk;
    const text = this.draft.message.trim();
    const ticket = this.ticket;
    if (!text || !ticket) {
      input.focus();
      return;
    }
    const result = await this.#request("say", "center.say", { id: ticket.id, text }, status);
    if (!result.ok) return;
    this.draft.message = "";
    input.value = "";
    // The answer is the stored line; its push may come before or after it, and counts once.
    const event = result.detail;
    if (event && Number.isInteger(event.id)) {
      this.#heard({
        ticket: ticket.id,
        id: event.id,
        at: event.at ?? this.#now(),
        from: event.actor ?? ticket.citizen,
        name: event.detail?.name ?? ticket.citizen_name ?? "",
        text: event.detail?.text ?? text,
      });
    }
  }

  async #rate() {
    const { status } = this.ui.rating;
    const locale = this.locale();
    const stars = this.draft.stars;
    if (!this.ticket) return;
    if (!(stars >= MIN_STARS && stars <= MAX_STARS)) {
      say(status, t(locale, "centerStarsNeeded"), true);
      return;
    }
    const data = { id: this.ticket.id, stars };
    const comment = this.draft.comment.trim();
    if (comment) data.comment = comment;
    const result = await this.#request("rate", "center.rate", data, status);
    if (!result.ok) return;
    this.#setTicket(result.detail);
    say(status, t(this.locale(), "centerRated"));
  }

  // -- drawing -------------------------------------------------------------------------------

  #build(locale) {
    const level = this.level;
    const sub = Math.min(6, level + 1);
    const hours = el("p", { class: "center-hours" });

    // My ticket.
    const head = el("p", { class: "center-ticket-head" });
    const place = el("p", { class: "center-ticket-place" });
    const wait = el("p", { class: "center-ticket-wait" });
    const called = el("p", { class: "center-called" });
    const go = button("centerGoToDesk", locale, { class: "center-go", onclick: () => this.#go() });
    const leave = button("centerLeave", locale, { class: "center-leave", onclick: () => this.#cancel() });
    const ticketStatus = note();
    const talk = this.#buildTalk(locale, sub);
    const rating = this.#buildRating(locale, sub);
    const resolution = el("p", { class: "center-resolution" });
    const ticketBox = el(
      "div",
      { class: "zone-subsection center-ticket" },
      heading(level, "centerMyTicket", locale),
      head,
      place,
      wait,
      called,
      el("p", { class: "center-actions" }, go, " ", leave),
      ticketStatus,
      resolution,
      rating.root,
      talk.root,
    );

    const form = this.#buildForm(locale, level);
    const desks = el("ul", { class: "center-desks" });
    const queues = el("ul", { class: "center-queues" });
    return {
      parts: [
        hours,
        ticketBox,
        form.root,
        el("div", { class: "zone-subsection" }, heading(level, "centerDesks", locale), desks),
        el("div", { class: "zone-subsection" }, heading(level, "centerQueues", locale), queues),
      ],
      hours,
      ticket: { root: ticketBox, head, place, wait, called, go, leave, status: ticketStatus, resolution },
      talk,
      rating,
      form,
      desks,
      queues,
    };
  }

  #buildForm(locale, level) {
    const title = heading(level, "centerTake", locale);
    const categoryId = uid("center-category");
    const category = el("select", {
      id: categoryId,
      required: true,
      onchange: () => {
        this.draft.category = category.value;
      },
    });
    const descriptionId = uid("center-description");
    const description = el("textarea", {
      id: descriptionId,
      rows: 3,
      maxLength: MAX_DESCRIPTION_CHARS,
      required: true,
      value: this.draft.description,
      oninput: () => {
        this.draft.description = description.value;
      },
    });
    const needs = el("div", { class: "center-needs" });
    const needsBox = el(
      "fieldset",
      { class: "center-needs-box" },
      el("legend", { i18n: ["centerNeeds", locale] }),
      needs,
    );
    const contactId = uid("center-contact");
    const contact = el("input", {
      id: contactId,
      type: "text",
      maxLength: MAX_CONTACT_CHARS,
      autocomplete: "tel",
      value: this.draft.contact,
      oninput: () => {
        this.draft.contact = contact.value;
      },
    });
    const callbackHint = el("p", { class: "zone-hint", i18n: ["centerCallbackHint", locale] });
    const callback = el(
      "div",
      { class: "center-callback" },
      callbackHint,
      el("p", { class: "field" }, el("label", { for: contactId, i18n: ["centerContact", locale] }), " ", contact),
    );
    const submit = button("centerTakeButton", locale, { type: "submit" });
    const status = note();
    const root = el(
      "form",
      { class: "zone-form center-take", noValidate: true },
      title,
      el("p", { class: "field" }, el("label", { for: categoryId, i18n: ["centerCategory", locale] }), " ", category),
      el(
        "p",
        { class: "field" },
        el("label", { for: descriptionId, i18n: ["centerDescription", locale] }),
        " ",
        description,
      ),
      needsBox,
      callback,
      el("p", {}, submit),
      status,
    );
    root.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.busy.has("take")) this.#take();
    });
    const parts = { root, title, category, description, needs, callback, contact, submit, status };
    this.#fillChoices(locale, parts);
    return parts;
  }

  /** The category options and the needs' boxes, from the center's lists (kept choices stay). */
  #fillChoices(locale, parts = this.ui?.form) {
    if (!parts) return;
    const categories = Array.isArray(this.info?.categories) ? this.info.categories : DEFAULT_CATEGORIES;
    const needs = Array.isArray(this.info?.needs) ? this.info.needs : DEFAULT_NEEDS;
    // Drawn again only when the lists change, not with every queue's news: a focused box
    // keeps its focus.
    const signature = JSON.stringify([locale, categories, needs]);
    if (parts.signature === signature) return;
    parts.signature = signature;
    if (this.draft.category && !categories.includes(this.draft.category)) this.draft.category = "";
    parts.category.replaceChildren(
      el("option", { value: "", text: "—" }),
      ...categories.map((name) =>
        el("option", { value: name, text: categoryText(locale, name), selected: name === this.draft.category }),
      ),
    );
    parts.category.value = this.draft.category;
    parts.needs.replaceChildren(
      ...needs.map((need) => {
        const id = uid("center-need");
        const box = el("input", {
          id,
          type: "checkbox",
          value: need,
          checked: this.draft.needs.has(need),
          onchange: () => {
            if (box.checked) this.draft.needs.add(need);
            else this.draft.needs.delete(need);
          },
        });
        return el("p", { class: "center-need" }, box, el("label", { for: id, text: needText(locale, need) }));
      }),
    );
  }

  #clearForm() {
    const form = this.ui?.form;
    if (!form) return;
    form.description.value = "";
    form.contact.value = "";
    for (const box of form.needs.querySelectorAll("input")) box.checked = false;
  }

  #buildTalk(locale, level) {
    const list = el("ul", { class: "center-messages" });
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
      list,
    );
    const inputId = uid("center-message");
    const input = el("input", {
      id: inputId,
      type: "text",
      maxLength: MAX_MESSAGE_CHARS,
      autocomplete: "off",
      enterKeyHint: "send",
      value: this.draft.message,
      oninput: () => {
        this.draft.message = input.value;
      },
    });
    const send = button("send", locale, { type: "submit" });
    const status = note();
    const form = el(
      "form",
      { class: "chat-form center-talk" },
      el("label", { for: inputId, i18n: ["centerMessage", locale] }),
      input,
      send,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.busy.has("say")) this.#say();
    });
    const root = el(
      "div",
      { class: "center-consultation" },
      heading(level, "centerConsultation", locale),
      el("p", { class: "zone-hint", i18n: ["centerPrivateHint", locale] }),
      log,
      form,
      status,
    );
    return { root, list, form, input, send, status, shown: null };
  }

  #buildRating(locale, level) {
    const name = uid("center-stars");
    const stars = [];
    for (let n = MIN_STARS; n <= MAX_STARS; n++) {
      const id = `${name}-${n}`;
      const radio = el("input", {
        id,
        type: "radio",
        name,
        value: String(n),
        checked: this.draft.stars === n,
        onchange: () => {
          if (radio.checked) this.draft.stars = n;
        },
      });
      const text = n === 1 ? t(locale, "centerStarsOne") : t(locale, "centerStarsMany", { n });
      const label = el("label", { for: id }, el("span", { "aria-hidden": "true", text: "★".repeat(n) }), ` ${text}`);
      stars.push(el("span", { class: "center-star" }, radio, label));
    }
    const commentId = uid("center-comment");
    const comment = el("textarea", {
      id: commentId,
      rows: 2,
      maxLength: MAX_COMMENT_CHARS,
      value: this.draft.comment,
      oninput: () => {
        this.draft.comment = comment.value;
      },
    });
    const submit = button("centerRateButton", locale, { type: "submit" });
    const form = el(
      "form",
      { class: "zone-form center-rate" },
      heading(level, "centerRate", locale),
      el("fieldset", { class: "center-stars" }, el("legend", { i18n: ["centerStars", locale] }), ...stars),
      el("p", { class: "field" }, el("label", { for: commentId, i18n: ["centerComment", locale] }), " ", comment),
      el("p", {}, submit),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.busy.has("rate")) this.#rate();
    });
    const rated = el("p", { class: "center-rated" });
    const status = note();
    return { root: el("div", { class: "center-rating" }, form, rated, status), form, rated, submit, status };
  }

  #updateHours(locale) {
    const info = this.info;
    let text;
    if (!info) text = t(locale, "centerInfoWaiting");
    else if (info.hours?.open === false) {
      text = t(locale, "centerHoursClosed", { schedule: info.hours.schedule ?? "" });
      if (typeof info.hours.next_change === "number") {
        text += ` — ${t(locale, "centerHoursOpensAt", { time: shortDate(info.hours.next_change, locale) })}`;
      }
    } else text = t(locale, "centerHoursOpen");
    this.ui.hours.textContent = text;
  }

  #updateTicket(locale) {
    const ui = this.ui.ticket;
    const ticket = this.ticket;
    ui.root.hidden = !ticket;
    if (!ticket) {
      this.ui.talk.root.hidden = true;
      this.ui.rating.root.hidden = true;
      return;
    }
    const number = t(locale, "centerTicketNumber", { number: ticket.id });
    const state = t(locale, "centerTicketState", { state: stateText(locale, ticket.state) });
    const category = categoryText(locale, ticket.category);
    ui.head.textContent = [number, category, state].filter(Boolean).join(" · ");
    const waiting = ticket.state === "waiting";
    ui.place.hidden = !waiting || !Number.isInteger(ticket.position);
    ui.place.textContent = waiting ? t(locale, "centerPosition", { position: ticket.position }) : "";
    ui.wait.hidden = !waiting;
    ui.wait.textContent = waiting ? t(locale, "centerWaitEstimate", { wait: waitText(locale, ticket.wait_s) }) : "";
    const served = isServed(ticket) && Number.isInteger(ticket.desk);
    ui.called.hidden = !served;
    ui.called.textContent = served ? ticketLine(locale, ticket) : "";
    ui.called.classList.toggle("calling", ticket.state === "called");
    ui.go.hidden = !served || !this.active;
    ui.go.disabled = this.busy.has("go");
    ui.leave.hidden = !["waiting", "called"].includes(ticket.state);
    ui.leave.disabled = this.busy.has("cancel");
    ui.go.parentElement.hidden = ui.go.hidden && ui.leave.hidden;
    const closed = ticket.state === "closed";
    ui.resolution.hidden = !closed || !ticket.resolution;
    ui.resolution.replaceChildren(
      el("strong", { text: t(locale, "centerResolution") }),
      " ",
      el("span", { text: ticket.resolution ?? "" }),
    );
    // The consultation: while a desk serves the ticket, and afterwards to read it again.
    const talk = this.ui.talk;
    talk.root.hidden = !served && this.lines.length === 0;
    talk.form.hidden = !isServed(ticket);
    talk.send.disabled = this.busy.has("say");
    this.#renderMessages(locale);
    const rating = this.ui.rating;
    const rated = Number.isInteger(ticket.rating);
    rating.root.hidden = !closed;
    rating.form.hidden = rated;
    rating.submit.disabled = this.busy.has("rate");
    rating.rated.hidden = !rated;
    rating.rated.textContent = rated ? t(locale, "centerYourRating", { n: ticket.rating }) : "";
  }

  #renderMessages(locale) {
    const talk = this.ui?.talk;
    if (!talk) return;
    const lines = this.lines;
    const shown = talk.shown;
    // Only new lines are added, so that the log reads out each line once.
    const more =
      shown?.ticket === this.ticket?.id && shown?.locale === locale && shown.count > 0 && lines.length >= shown.count;
    const empty = () => el("li", { class: "empty", text: t(locale, "centerNoMessages") });
    if (lines.length === 0) talk.list.replaceChildren(empty());
    else if (more) talk.list.append(...lines.slice(shown.count).map((line) => this.#messageItem(line, locale)));
    else talk.list.replaceChildren(...lines.map((line) => this.#messageItem(line, locale)));
    talk.shown = { ticket: this.ticket?.id, locale, count: lines.length };
    if (lines.length > 0 && this.ticket) talk.root.hidden = false;
  }

  #messageItem(line, locale) {
    const mine = line.from === this.ticket?.citizen;
    const time = typeof line.at === "number" ? clockTime(line.at, locale) : "";
    return el(
      "li",
      { class: `chat-line${mine ? " chat-mine" : ""}` },
      time ? el("time", { text: time }) : null,
      el("strong", { class: "chat-name", text: `${line.name ?? ""}: ` }),
      el("span", { class: "chat-text", text: line.text }),
    );
  }

  #updateForm(locale) {
    const form = this.ui.form;
    // One open ticket at a time: the form comes back when it is over.
    form.root.hidden = isOpen(this.ticket);
    const callback = callbackOnly(this.info);
    form.callback.hidden = !callback;
    form.contact.required = callback;
    const titleKey = callback ? "centerTakeCallback" : "centerTake";
    const buttonKey = callback ? "centerCallbackButton" : "centerTakeButton";
    form.title.dataset.i18n = titleKey;
    form.title.textContent = t(locale, titleKey);
    form.submit.dataset.i18n = buttonKey;
    form.submit.textContent = t(locale, buttonKey);
    form.submit.disabled = this.busy.has("take");
  }

  #updateDesks(locale) {
    const desks = deskLines(locale, this.info);
    this.ui.desks.replaceChildren(
      ...(desks.length
        ? desks.map((desk) =>
            el(
              "li",
              { class: `center-desk-item ${desk.open ? "open" : "closed"}` },
              el("span", { class: "center-lamp", "aria-hidden": "true" }),
              el("span", { text: desk.text }),
            ),
          )
        : [el("li", { class: "empty", text: t(locale, this.info ? "centerNoDesks" : "centerInfoWaiting") })]),
    );
    const queues = queueLines(locale, this.info);
    this.ui.queues.replaceChildren(...queues.map((queue) => el("li", { text: queue.text })));
  }

  #buildToast() {
    if (!this.toast) return;
    // Live regions are read out only if they are in the page before their text changes, so
    // the status line is never `hidden`: with nothing to say it is empty and out of sight.
    this.toastStatus = el("p", { class: "center-toast-status", role: "status", "aria-atomic": "true" });
    this.toastAlert = el("p", { class: "center-toast-alert", role: "alert" });
    this.toast.replaceChildren(this.toastStatus, this.toastAlert);
    this.toast.hidden = false;
    this.toast.classList.add("idle");
    this.toastTimer = null;
  }

  #updateToast(locale) {
    if (!this.toast) return;
    const ticket = this.ticket;
    const left = this.doneUntil - Date.now();
    const shown = isOpen(ticket) || (Boolean(ticket) && left > 0);
    clearTimeout(this.toastTimer);
    // A ticket that is over is shown a while, then the line goes.
    if (shown && !isOpen(ticket)) this.toastTimer = setTimeout(() => this.update(), left + 50);
    const line = shown ? ticketLine(locale, ticket, { here: this.active }) : "";
    // A call is an alert; the place in the queue is polite news. Each is written only when
    // it changes, so nothing is read out twice.
    const calling = ticket?.state === "called";
    const status = calling ? "" : line;
    const alert = calling ? line : "";
    if (this.toastStatus.textContent !== status) this.toastStatus.textContent = status;
    if (this.toastAlert.textContent !== alert) this.toastAlert.textContent = alert;
    this.toast.classList.toggle("idle", !shown);
    this.toast.classList.toggle("calling", calling);
  }
}
