// /center: the citizen's ticket page. Sign in (a guest name or a token), take a number (or,
// outside staffed hours, leave a callback request), then follow it live: the place in line
// and the wait estimate, being called to a desk, the private conversation with the civil
// servant, the resolution and a rating. Every ticket taken is listed with its state.
//
// The page asks GET /api/center/tickets/mine and the shown ticket (with its history) every
// 2 s while it is visible. Taking a number sends one idempotency key per ticket meant, again
// on every retry, so a double press or a retry after a network error never makes two.
import { el } from "../common/dom.js";
import { CenterApi, TakeIntent, takeNumber } from "./api.js";
import {
  LIMITS,
  canLeave,
  canMessage,
  canRate,
  categoryLabel,
  clockTime,
  dateTime,
  errorText,
  eventText,
  fingerprint,
  isOpen,
  messagesOf,
  needLabel,
  needsText,
  pickTicket,
  positionText,
  starText,
  stateLabel,
  ticketTitle,
  waitEstimate,
} from "./format.js";
import { $, Poller, applyTexts, bindSignIn, initialLocale, setStatus, showError, signOut } from "./page.js";
import { ct } from "./texts.js";

const POLL_MS = 2000;
/** The center's info (hours, desks, queues) is asked every this many polls. */
const INFO_EVERY = 5;

const state = {
  locale: initialLocale(),
  /** @type {CenterApi|null} */
  api: null,
  /** The signed-in user's subject (to tell their own messages). */
  subject: null,
  info: null,
  /** GET /api/center/tickets/mine, newest first. */
  tickets: [],
  /** The ticket the user chose to look at (null: the newest open one). */
  chosen: null,
  /** The shown ticket with its events. */
  current: null,
  intent: new TakeIntent(),
  polls: 0,
  /** Fingerprints of what is drawn, to redraw only what changed. */
  drawn: { info: null, mine: null, facts: null, history: null, categories: null, needs: null },
  /** Message event ids already in the conversation log, and the ticket they belong to. */
  logTicket: null,
  logIds: new Set(),
  /** The last state seen of each ticket, to announce being called. */
  states: new Map(),
  taking: false,
};

const poller = new Poller(refresh, POLL_MS);

function t(key, values) {
  return ct(state.locale, key, values);
}

// -- signing in --------------------------------------------------------------------------------

async function enter({ token, claims }) {
  const api = new CenterApi(token);
  // The token works, and the first figures are in, before the page changes.
  const [info, tickets] = await Promise.all([api.info(), api.mine()]);
  state.api = api;
  state.subject = claims?.sub ?? null;
  state.info = info;
  state.tickets = tickets;
  for (const ticket of tickets) state.states.set(ticket.id, ticket.state);
  $("sign-in").hidden = true;
  for (const id of ["hours", "take", "mine", "sign-out"]) $(id).hidden = false;
  setStatus(claims?.name ? t("signedInAs", { name: claims.name }) : "");
  showError("");
  render();
  poller.start();
}

// -- polling -----------------------------------------------------------------------------------

async function refresh() {
  const api = state.api;
  if (!api) return;
  try {
    state.polls += 1;
    const [tickets, info] = await Promise.all([
      api.mine(),
      state.polls % INFO_EVERY === 0 ? api.info() : Promise.resolve(state.info),
    ]);
    state.tickets = tickets;
    state.info = info;
    const shown = pickTicket(tickets, state.chosen);
    state.current = shown ? await api.ticket(shown.id) : null;
    announceChanges();
    if (!$("error").dataset.action) showError("");
    render();
  } catch (error) {
    if (error?.status === 401) {
      signOutExpired();
      return;
    }
    showError(errorText(error, state.locale));
    $("error").dataset.action = "";
  }
}

function signOutExpired() {
  poller.stop();
  state.api = null;
  for (const id of ["hours", "take", "mine", "current", "sign-out"]) $(id).hidden = true;
  $("sign-in").hidden = false;
  showError(t("expired"));
}

/** Say so when one of the user's tickets is called (the most important change). */
function announceChanges() {
  for (const ticket of state.tickets) {
    const before = state.states.get(ticket.id);
    if (before === "waiting" && ticket.state === "called") {
      setStatus(t("calledAnnounce", { id: ticket.id, desk: ticket.desk ?? "?" }));
    }
    state.states.set(ticket.id, ticket.state);
  }
}

// -- drawing -----------------------------------------------------------------------------------

function render() {
  renderInfo();
  renderTakeForm();
  renderMine();
  renderCurrent();
}

function renderInfo() {
  const info = state.info;
  if (!info) return;
  const print = fingerprint([state.locale, info.hours, info.desks]);
  if (print === state.drawn.info) return;
  state.drawn.info = print;
  const hours = info.hours ?? {};
  const values = { schedule: hours.schedule ?? "", timezone: hours.timezone ?? "" };
  $("hours-text").textContent = hours.open === false ? t("closedNow", values) : t("openNow", values);
  $("hours-text").classList.toggle("closed", hours.open === false);
  const change = hours.next_change;
  $("hours-change").textContent = Number.isFinite(change)
    ? t(hours.open === false ? "opensAt" : "closesAt", {
        time: dateTime(change, state.locale, hours.timezone),
      })
    : "";
  const desks = info.desks ?? [];
  $("desks-text").textContent = desks.length
    ? t("desksOpen", { open: desks.filter((desk) => desk.open).length, all: desks.length })
    : "";
}

/** Whether a ticket taken now must be a callback request (outside staffed hours). */
function callbackOnly() {
  return state.info?.hours?.open === false;
}

function renderTakeForm() {
  const info = state.info;
  if (!info) return;
  const categories = info.categories ?? [];
  const categoryPrint = fingerprint([state.locale, categories, info.queues]);
  if (categoryPrint !== state.drawn.categories) {
    state.drawn.categories = categoryPrint;
    const select = $("category-select");
    const chosen = select.value;
    select.replaceChildren(
      ...categories.map((name) => {
        const queue = info.queues?.[name];
        const label = categoryLabel(name, state.locale);
        const text = queue ? `${label} — ${t("waiting")} ${queue.waiting ?? 0}` : label;
        return el("option", { value: name, text, selected: name === chosen });
      }),
    );
  }
  const needs = info.needs ?? [];
  const needPrint = fingerprint([state.locale, needs]);
  if (needPrint !== state.drawn.needs) {
    state.drawn.needs = needPrint;
    const list = $("needs-list");
    const checked = new Set([...list.querySelectorAll("input:checked")].map((input) => input.value));
    list.replaceChildren(
      ...needs.map((need) => {
        const id = `need-${need}`;
        return el(
          "p",
          { class: "check" },
          el("input", { type: "checkbox", id, name: "needs", value: need, checked: checked.has(need) }),
          el("label", { for: id, text: needLabel(need, state.locale) }),
        );
      }),
    );
  }
  const forced = callbackOnly();
  $("callback-forced").hidden = !forced;
  $("callback-row").hidden = forced;
  const callback = forced || $("callback-input").checked;
  $("contact-row").hidden = !callback;
  $("contact-input").required = callback;
  $("take-button").textContent = t(callback ? "callbackButton" : "takeButton");
  updateDescriptionCount();
}

function updateDescriptionCount() {
  const left = LIMITS.description - $("description-input").value.length;
  $("description-left").textContent = t("charsLeft", { n: left });
}

function renderMine() {
  const tickets = state.tickets;
  const shownId = state.current?.id ?? null;
  const print = fingerprint([state.locale, shownId, tickets]);
  if (print === state.drawn.mine) return;
  state.drawn.mine = print;
  $("mine-empty").hidden = tickets.length > 0;
  $("mine-table").hidden = tickets.length === 0;
  $("mine-rows").replaceChildren(
    ...tickets.map((ticket) => {
      const shown = ticket.id === shownId;
      const action = shown
        ? el("span", { class: "hint", text: t("shown") })
        : el("button", {
            type: "button",
            class: "small",
            text: t("show"),
            "aria-label": t("showTicket", { id: ticket.id }),
            onclick: () => {
              state.chosen = ticket.id;
              poller.now().then(() => $("current-title").focus());
            },
          });
      const number = el(
        "th",
        { scope: "row" },
        String(ticket.id),
        ticket.callback ? el("span", { class: "tag", text: ` ${t("callbackTag")}` }) : null,
      );
      return el(
        "tr",
        { class: shown ? "shown" : "" },
        number,
        el("td", { text: categoryLabel(ticket.category, state.locale) }),
        el("td", {}, badge(ticket.state)),
        el("td", { text: ticket.state === "waiting" ? positionText(ticket.position, state.locale) : "" }),
        el("td", { text: ticket.state === "waiting" ? waitEstimate(ticket.wait_s, state.locale) : "" }),
        el("td", { text: clockTime(ticket.created_at, state.locale) }),
        el("td", {}, action),
      );
    }),
  );
}

function badge(ticketState) {
  return el("span", { class: `badge state-${ticketState}`, text: stateLabel(ticketState, state.locale) });
}

function fact(term, value) {
  return [el("dt", { text: term }), el("dd", { text: value })];
}

function renderCurrent() {
  const ticket = state.current;
  const section = $("current");
  if (!ticket) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const locale = state.locale;
  $("current-number").textContent = ticketTitle(ticket, locale);
  const stateBadge = $("current-state");
  stateBadge.className = `badge state-${ticket.state}`;
  stateBadge.textContent = stateLabel(ticket.state, locale);

  const called = canMessage(ticket) && ticket.desk !== null && ticket.desk !== undefined;
  const banner = $("current-called");
  banner.hidden = !called;
  if (called) {
    const text = ticket.staff_name
      ? t("goToDesk", { desk: ticket.desk, staff: ticket.staff_name })
      : t("goToDeskNoName", { desk: ticket.desk });
    const print = fingerprint([locale, text]);
    if (banner.dataset.print !== print) {
      banner.dataset.print = print;
      banner.replaceChildren(text, " ", el("a", { href: "/", text: t("goIn3d") }));
    }
  }

  const facts = fingerprint([locale, ticket, state.subject]);
  if (facts !== state.drawn.facts) {
    state.drawn.facts = facts;
    const rows = [...fact(t("category"), categoryLabel(ticket.category, locale))];
    if (ticket.state === "waiting") {
      rows.push(...fact(t("position"), positionText(ticket.position, locale)));
      const wait = Number.isFinite(ticket.wait_s) ? waitEstimate(ticket.wait_s, locale) : t("waitUnknown");
      rows.push(...fact(t("waitEstimate"), wait));
    }
    if (ticket.desk !== null && ticket.desk !== undefined && isOpen(ticket)) {
      rows.push(...fact(t("desk"), t("deskN", { n: ticket.desk })));
    }
    if (ticket.staff_name) rows.push(...fact(t("staffMember"), ticket.staff_name));
    if (ticket.needs?.length) rows.push(...fact(t("needs"), needsText(ticket.needs, locale)));
    if (ticket.callback && ticket.contact) rows.push(...fact(t("callbackContact"), ticket.contact));
    rows.push(...fact(t("description"), ticket.purged ? t("purged") : (ticket.description ?? "")));
    rows.push(...fact(t("takenAt"), clockTime(ticket.created_at, locale)));
    if (ticket.resolution) rows.push(...fact(t("resolution"), ticket.resolution));
    $("current-facts").replaceChildren(...rows);
  }

  $("leave-button").hidden = !canLeave(ticket);
  renderConversation(ticket);
  renderRating(ticket);
  renderHistory(ticket);
}

function renderConversation(ticket) {
  const lines = messagesOf(ticket, state.locale, state.subject);
  const section = $("conversation");
  section.hidden = !canMessage(ticket) && lines.length === 0;
  $("message-form").hidden = !canMessage(ticket);
  const list = $("conversation-lines");
  if (state.logTicket !== ticket.id) {
    state.logTicket = ticket.id;
    state.logIds = new Set();
    list.replaceChildren();
  }
  const empty = list.querySelector(".empty");
  if (lines.length === 0 && !empty) {
    list.append(el("li", { class: "chat-line empty", text: t("noMessages") }));
  }
  for (const line of lines) {
    if (state.logIds.has(line.id)) continue;
    state.logIds.add(line.id);
    list.querySelector(".empty")?.remove();
    list.append(messageLine(line, state.locale));
  }
  const log = list.parentElement;
  log.scrollTop = log.scrollHeight;
}

/** One line of a consultation: time, who, text. */
function messageLine(line, locale) {
  return el(
    "li",
    { class: `chat-line ${line.mine ? "chat-mine" : ""}`, "data-event": line.id },
    el("time", { text: clockTime(line.at, locale) }),
    " ",
    el("span", { class: "chat-name", text: `${line.author}: ` }),
    el("span", { class: "chat-text", text: line.text }),
  );
}

function renderRating(ticket) {
  const rateable = canRate(ticket) && !ticket.purged;
  $("rating").hidden = !rateable;
  for (let n = 2; n <= 5; n++) $(`stars-${n}-label`).textContent = t("starsN", { n });
  const rated = ticket.rating !== null && ticket.rating !== undefined;
  const ratedText = $("rated-text");
  ratedText.hidden = !rated;
  if (rated) {
    const comment = ticket.rating_comment ? ` — ${ticket.rating_comment}` : "";
    ratedText.textContent = t("yourRating", { stars: `${starText(ticket.rating)} (${ticket.rating}/5)` }) + comment;
  }
}

function renderHistory(ticket) {
  const print = fingerprint([state.locale, ticket.id, ticket.events]);
  if (print === state.drawn.history) return;
  state.drawn.history = print;
  $("history-list").replaceChildren(
    ...(ticket.events ?? []).map((event) =>
      el(
        "li",
        { class: `event event-${event.kind}` },
        el("time", { text: clockTime(event.at, state.locale) }),
        " ",
        el("span", { text: eventText(event, ticket, state.locale, state.subject) }),
      ),
    ),
  );
}

// -- actions -----------------------------------------------------------------------------------

/** Run an action: its errors go to the alert region (and stay until the next action). */
async function act(work) {
  showError("");
  delete $("error").dataset.action;
  try {
    await work();
  } catch (error) {
    if (error?.status === 401) {
      signOutExpired();
      return;
    }
    $("error").dataset.action = "1";
    showError(errorText(error, state.locale));
  }
}

async function onTake(event) {
  event.preventDefault();
  if (state.taking || !state.api) return;
  const description = $("description-input").value.trim();
  const callback = callbackOnly() || $("callback-input").checked;
  const contact = $("contact-input").value.trim();
  if (!description) {
    showError(t("needDescription"));
    $("description-input").focus();
    return;
  }
  if (callback && !contact) {
    showError(t("needContact"));
    $("contact-input").focus();
    return;
  }
  const body = {
    category: $("category-select").value,
    description,
    needs: [...$("needs-list").querySelectorAll("input:checked")].map((input) => input.value),
  };
  if (callback) Object.assign(body, { callback: true, contact });
  state.taking = true;
  $("take-button").disabled = true;
  setStatus(t("taking"));
  await act(async () => {
    try {
      const ticket = await takeNumber(state.api, body, state.intent, {
        onRetry: (attempt) => setStatus(t("retrying", { n: attempt })),
      });
      $("take-form").reset();
      state.chosen = ticket.id;
      state.states.set(ticket.id, ticket.state);
      setStatus(t(ticket.callback ? "takenCallback" : "taken", { id: ticket.id }));
      await poller.now();
      renderTakeForm();
      $("current-title").focus();
    } catch (error) {
      setStatus(state.intent.pending ? t("retryHint") : "");
      throw error;
    }
  });
  state.taking = false;
  $("take-button").disabled = false;
}

async function onLeave() {
  const ticket = state.current;
  if (!ticket) return;
  await act(async () => {
    await state.api.cancel(ticket.id);
    setStatus(t("left", { id: ticket.id }));
    await poller.now();
  });
}

async function onMessage(event) {
  event.preventDefault();
  const ticket = state.current;
  const input = $("message-input");
  const text = input.value.trim();
  if (!ticket || !text) return;
  await act(async () => {
    await state.api.message(ticket.id, text);
    input.value = "";
    await poller.now();
  });
}

async function onRate(event) {
  event.preventDefault();
  const ticket = state.current;
  if (!ticket) return;
  const picked = $("rating-form").querySelector("input[name=stars]:checked");
  if (!picked) {
    showError(t("chooseStars"));
    $("stars-1").focus();
    return;
  }
  const comment = $("rating-comment").value.trim();
  await act(async () => {
    await state.api.rate(ticket.id, Number(picked.value), comment || undefined);
    $("rating-form").reset();
    setStatus(t("rated"));
    await poller.now();
  });
}

function onLocale(locale) {
  state.locale = locale;
  applyTexts(locale);
  for (const key of Object.keys(state.drawn)) state.drawn[key] = null;
  state.logTicket = null;
  if (state.api) render();
}

// -- start -------------------------------------------------------------------------------------

applyTexts(state.locale);
for (let n = 2; n <= 5; n++) $(`stars-${n}-label`).textContent = t("starsN", { n });
$("take-form").addEventListener("submit", onTake);
$("callback-input").addEventListener("change", renderTakeForm);
$("description-input").addEventListener("input", updateDescriptionCount);
$("leave-button").addEventListener("click", onLeave);
$("message-form").addEventListener("submit", onMessage);
$("rating-form").addEventListener("submit", onRate);
$("sign-out").addEventListener("click", signOut);
$("current-title").tabIndex = -1;
bindSignIn({ locale: state.locale, onLocale, onEnter: enter });

// For the browser tests and the curious: the page's state.
globalThis.__center = { state, poller };
