// Chat for both pages: ChatLog keeps the lines (heard, said, and what the page tells the
// user about them) and sends, blocks and reports; ChatPanel draws a log in the page's own
// markup: a list, a form with a text input, and a channel choice for those who may speak
// to the whole zone. Every line is text (textContent), never HTML.
import { TABLE } from "../i18n.js";
import { Opcode, PlazaRequestError } from "../net/index.js";
import { t } from "./page.js";

/** Lines kept; older ones leave the log. */
export const CHAT_LINES_KEPT = 200;
/** Requests of lines not yet echoed, kept to match their refusals. */
const PENDING_KEPT = 50;

/**
 * The chat lines of one visit. Events: 'line' (detail: the new line) and 'reset' (lines
 * were removed: draw them all again).
 *
 * A line is either {kind: "chat", id, channel, from, name, text, time, to, mine} as the
 * server sent it, {kind: "tour", name, text, time}: a tour guide's narration, or
 * {kind: "system", key, values, time}: something the page says (an i18n key, drawn in the
 * reader's language).
 */
export class ChatLog extends EventTarget {
  /** @param {import("./visit.js").Visit} visit */
  constructor(visit) {
    super();
    this.visit = visit;
    /** @type {object[]} */
    this.lines = [];
    /** Avatars whose user this user blocked during the visit. */
    this.blocked = new Set();
    /** Request ids of lines sent and not yet back. */
    this.pending = new Set();
    const connection = visit.connection;
    connection.addEventListener("chat", (event) => this.#heard(event.detail));
    connection.addEventListener("result", (event) => {
      const { requestId, ok, detail } = event.detail;
      if (!this.pending.delete(requestId) || ok) return;
      this.system("chatRefused", { reason: String(detail ?? "") });
    });
    connection.addEventListener("error", (event) => {
      if (event.detail.opcode === Opcode.SAY) this.system("chatRefused", { reason: event.detail.reason });
    });
    connection.addEventListener("zoneevent", (event) => {
      const { event: name, data } = event.detail;
      if (name === "travel.refused") this.system("travelRefused", { reason: String(data?.reason ?? "") });
    });
    visit.addEventListener("zone", (event) => {
      const { zone, entered, notice } = event.detail;
      if (entered) this.system("enteredZone", { zone: zone.title ?? { ko: zone.name } });
      if (notice) this.system(null, { text: notice });
    });
  }

  /**
   * Send a line; returns its request id, or null when it could not go out (a system line
   * says why). Empty text sends nothing.
   * @param {string} text
   * @param {"near"|"zone"} [channel]
   */
  send(text, channel = "near") {
    if (!text.trim()) return null;
    let requestId;
    try {
      requestId = this.visit.connection.say(text, { channel });
    } catch (error) {
      this.system("chatRefused", { reason: this.#reasonOf(error) });
      return null;
    }
    this.pending.add(requestId);
    if (this.pending.size > PENDING_KEPT) this.pending.delete(this.pending.values().next().value);
    return requestId;
  }

  /** Block the user who said `line`: their lines leave the log, and no more come. */
  async block(line) {
    if (!(await this.#ask(() => this.visit.connection.block(line.from, true)))) return false;
    this.blocked.add(line.from);
    this.lines = this.lines.filter((l) => l.kind !== "chat" || l.from !== line.from);
    this.dispatchEvent(new CustomEvent("reset"));
    this.system("blocked", { name: line.name });
    return true;
  }

  /** Report the user who said `line` to the moderators. */
  async report(line, reason) {
    if (!(await this.#ask(() => this.visit.connection.report(line.from, reason)))) return false;
    this.system("reported", { name: line.name });
    return true;
  }

  /** Run a request that answers with a RESULT; a refusal or failure becomes a system line. */
  async #ask(request) {
    try {
      const result = await request();
      if (result.ok) return true;
      this.system("requestFailed", { reason: String(result.detail ?? "") });
    } catch (error) {
      this.system("requestFailed", { reason: this.#reasonOf(error) });
    }
    return false;
  }

  /**
   * Add a line the page says: `key` an i18n key with `values` (a value that is a locale
   * map is shown in the reader's language), or null with `values.text` as it is.
   */
  system(key, values = {}) {
    this.#add({ kind: "system", key, values, time: Date.now() / 1000 });
  }

  /** Add a guided tour's narration: the guide's name and words, marked as the tour's. */
  narration(name, text) {
    this.#add({ kind: "tour", name: String(name ?? ""), text: String(text ?? ""), time: Date.now() / 1000 });
  }

  /**
   * Why a request failed, for the reader: a lost connection in their language (a locale
   * map), anything else as the error says it.
   */
  #reasonOf(error) {
    if (error instanceof PlazaRequestError && this.visit.connection.state !== "joined") return TABLE.reconnecting;
    return String(error?.message ?? error);
  }

  #heard(chat) {
    if (chat.requestId !== null) this.pending.delete(chat.requestId);
    if (this.blocked.has(chat.from)) return;
    this.#add({
      kind: "chat",
      id: chat.id,
      channel: chat.channel,
      from: chat.from,
      name: chat.name,
      text: chat.text,
      time: chat.time,
      to: chat.to,
      mine: chat.from === this.visit.connection.avatarId,
    });
  }

  #add(line) {
    this.lines.push(line);
    if (this.lines.length > CHAT_LINES_KEPT) this.lines.splice(0, this.lines.length - CHAT_LINES_KEPT);
    this.dispatchEvent(new CustomEvent("line", { detail: line }));
  }
}

let panels = 0;

/**
 * Draws a ChatLog into existing markup and sends what the user types.
 *
 * Elements (by id): `log` (the scrolling role="log" box), `list` (the <ul> of lines), `form`,
 * `input`, `channel` (a <select> of near / zone) and `channelRow` (what holds it; hidden
 * unless the user may speak to the whole zone).
 */
export class ChatPanel {
  /**
   * @param {ChatLog} chat
   * @param {{log: HTMLElement, list: HTMLElement, form: HTMLFormElement, input: HTMLInputElement,
   *   channel: HTMLSelectElement, channelRow: HTMLElement}} elements
   * @param {() => string} locale the reader's language now
   */
  constructor(chat, elements, locale) {
    this.chat = chat;
    this.elements = elements;
    this.locale = locale;
    this.prefix = `chat${++panels}`;
    const { form, input, channel, channelRow } = elements;
    channelRow.hidden = !chat.visit.canAnnounce;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) {
        input.focus();
        return;
      }
      const wanted = chat.visit.canAnnounce ? channel.value : "near";
      if (chat.send(text, wanted) !== null) input.value = "";
    });
    chat.addEventListener("line", (event) => this.#append(event.detail));
    chat.addEventListener("reset", () => this.render());
    this.render();
  }

  /** Draw every line again (after a change of language, or lines removed). */
  render() {
    const { list } = this.elements;
    list.replaceChildren(...this.chat.lines.map((line) => this.#element(line)));
    this.#scrollToEnd(true);
  }

  #append(line) {
    const { list } = this.elements;
    const stick = this.#atEnd();
    list.append(this.#element(line));
    while (list.children.length > CHAT_LINES_KEPT) list.firstElementChild.remove();
    this.#scrollToEnd(stick);
  }

  #atEnd() {
    const { log } = this.elements;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  }

  #scrollToEnd(really) {
    if (really) this.elements.log.scrollTop = this.elements.log.scrollHeight;
  }

  #text(key, values = {}) {
    const locale = this.locale();
    const filled = {};
    for (const [name, value] of Object.entries(values)) {
      filled[name] = value !== null && typeof value === "object" ? (value[locale] ?? value.ko ?? Object.values(value)[0] ?? "") : value;
    }
    return key === null ? String(filled.text ?? "") : t(locale, key, filled);
  }

  #element(line) {
    const locale = this.locale();
    const item = document.createElement("li");
    item.className = `chat-line chat-${line.kind}`;
    const time = document.createElement("time");
    const date = new Date(line.time * 1000);
    time.dateTime = date.toISOString();
    time.textContent = date.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
    item.append(time, " ");
    if (line.kind === "system") {
      const text = document.createElement("span");
      text.className = "chat-text";
      text.textContent = this.#text(line.key, line.values);
      item.append(text);
      return item;
    }
    if (line.kind === "tour") {
      const tag = document.createElement("span");
      tag.className = "chat-tag";
      tag.textContent = `[${t(locale, "tagTour")}]`;
      const name = document.createElement("strong");
      name.className = "chat-name";
      name.textContent = line.name;
      const text = document.createElement("span");
      text.className = "chat-text";
      text.textContent = line.text;
      item.append(tag, " ", name, ": ", text);
      return item;
    }
    item.classList.add(`chat-${line.channel}`);
    if (line.mine) item.classList.add("chat-mine");
    if (line.channel === "direct" || line.channel === "zone") {
      const tag = document.createElement("span");
      tag.className = "chat-tag";
      tag.textContent = `[${t(locale, line.channel === "direct" ? "tagDirect" : "tagZone")}]`;
      item.append(tag, " ");
    }
    const name = document.createElement("strong");
    name.className = "chat-name";
    name.textContent = line.name;
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = line.text;
    item.append(name, ": ", text);
    if (!line.mine) item.append(" ", this.#actions(item, line));
    return item;
  }

  #actions(item, line) {
    const locale = this.locale();
    const actions = document.createElement("span");
    actions.className = "chat-actions";
    const block = document.createElement("button");
    block.type = "button";
    block.textContent = t(locale, "block");
    block.setAttribute("aria-label", t(locale, "blockName", { name: line.name }));
    block.addEventListener("click", async () => {
      block.disabled = true;
      if (!(await this.chat.block(line))) block.disabled = false;
    });
    const report = document.createElement("button");
    report.type = "button";
    report.textContent = t(locale, "report");
    report.setAttribute("aria-label", t(locale, "reportName", { name: line.name }));
    report.addEventListener("click", () => this.#askReason(item, line, report));
    actions.append(block, " ", report);
    return actions;
  }

  /** The report's reason, asked for in a small form under the line. */
  #askReason(item, line, opener) {
    const open = item.querySelector("form");
    if (open) {
      open.querySelector("input").focus();
      return;
    }
    const locale = this.locale();
    const form = document.createElement("form");
    form.className = "chat-report";
    const id = `${this.prefix}-reason-${line.id}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = t(locale, "reportReason", { name: line.name });
    const input = document.createElement("input");
    input.id = id;
    input.maxLength = 500;
    input.autocomplete = "off";
    const send = document.createElement("button");
    send.type = "submit";
    send.textContent = t(locale, "sendReport");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = t(locale, "cancel");
    const close = () => {
      form.remove();
      opener.focus();
    };
    cancel.addEventListener("click", close);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = input.value.trim();
      if (!reason) {
        input.focus();
        return;
      }
      send.disabled = true;
      if (await this.chat.report(line, reason)) close();
      else send.disabled = false;
    });
    form.append(label, " ", input, " ", send, " ", cancel);
    item.append(form);
    input.focus();
  }
}
