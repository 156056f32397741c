// /center/console: the civil servant's console (roles staff and admin). Status and skills,
// the queues and "Call next", then each ticket being served: the citizen's description,
// needs and contact, the private conversation, internal notes, transfer (to a category or a
// colleague, with a note) and close with a resolution; and the day's figures.
//
// GET /api/center/console is asked every second while the page is visible. A ticket's card
// is made once and then updated in place, so what the user is typing and where the focus is
// survive every refresh; the conversation log only ever appends (a screen reader reads each
// new line once). The API's refusals are shown, with its reason, in the alert region.
//
// "At my desk in 3D" (presence.js): while the box is ticked and the user has a desk, the page
// keeps a world connection for them, so their avatar sits at the desk in the 3D center; the
// line under the box says where the avatar is.
import { el } from "../common/dom.js";
import { storeToken } from "../session.js";
import { CenterApi } from "./api.js";
import {
  LIMITS,
  STAFF_STATUSES,
  canMessage,
  categoryLabel,
  clockTime,
  duration,
  errorText,
  eventText,
  fingerprint,
  messagesOf,
  needsText,
  notesOf,
  oneDecimal,
  queueRows,
  stateLabel,
  statusLabel,
  ticketTitle,
} from "./format.js";
import { $, Poller, applyTexts, bindSignIn, fillRows, initialLocale, setStatus, showError, signOut } from "./page.js";
import { DeskPresence, presenceWanted, storePresenceWanted } from "./presence.js";
import { ct } from "./texts.js";

const POLL_MS = 1000;

const state = {
  locale: initialLocale(),
  /** @type {CenterApi|null} */
  api: null,
  subject: null,
  /** The last GET /api/center/console. */
  data: null,
  /** Cards of the tickets being served, by ticket id. */
  cards: new Map(),
  /** Internal notes seen, by ticket id, then event id. */
  notes: new Map(),
  /** The skills boxes were changed and not saved yet: the server's do not overwrite them. */
  skillsDirty: false,
  drawn: { me: null, skills: null, queues: null, day: null },
};

const poller = new Poller(refresh, POLL_MS);

const presence = new DeskPresence({
  getToken: () => state.api?.token ?? null,
  onToken: (token) => {
    if (state.api) state.api.token = token;
    storeToken(token);
  },
  onChange: () => renderPresence(),
  onSeat: () => seat(),
});

function t(key, values) {
  return ct(state.locale, key, values);
}

// -- signing in and polling --------------------------------------------------------------------

async function enter({ token, claims }) {
  const api = new CenterApi(token);
  let data;
  try {
    data = await api.console();
  } catch (error) {
    if (error?.status === 403) error.reason = t("needStaff");
    throw error;
  }
  state.api = api;
  state.subject = claims?.sub ?? data?.me?.subject ?? null;
  $("sign-in").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  $("link-dashboard").hidden = claims?.role !== "admin";
  showError("");
  setStatus(t("signedInAs", { name: data?.me?.name ?? claims?.name ?? "" }));
  await show(data);
  poller.start();
}

async function refresh() {
  if (!state.api) return;
  try {
    await show(await state.api.console());
    if (!$("error").dataset.action) showError("");
  } catch (error) {
    if (error?.status === 401) {
      poller.stop();
      presence.stop();
      state.api = null;
      $("desk").hidden = true;
      $("sign-out").hidden = true;
      $("sign-in").hidden = false;
      showError(t("expired"));
      return;
    }
    if (!$("error").dataset.action) showError(errorText(error, state.locale));
  }
}

/** Draw a console state (serving tickets without their events are read one by one). */
async function show(data) {
  const serving = await Promise.all(
    (data?.serving ?? []).map((ticket) => (ticket.events ? ticket : state.api.ticket(ticket.id))),
  );
  state.data = { ...data, serving };
  render();
}

// -- drawing -----------------------------------------------------------------------------------

function render() {
  const data = state.data;
  if (!data) return;
  renderMe(data.me ?? {});
  renderSkills(data.me ?? {}, data.categories ?? []);
  renderQueues(data);
  renderDay(data.day ?? {});
  renderServing(data.serving ?? []);
  presence.update({ enabled: $("presence-toggle").checked, desk: data.me?.desk ?? null });
}

/** The line under "At my desk in 3D": where the avatar is (a polite live region). */
function renderPresence() {
  const { key, values } = presence.line();
  const text = t(key, values);
  const line = $("presence-text");
  if (line.textContent !== text) line.textContent = text;
}

function renderMe(me) {
  const print = fingerprint([state.locale, me.name, me.desk, me.status]);
  if (print === state.drawn.me) return;
  state.drawn.me = print;
  const desk = me.desk ? t("deskN", { n: me.desk }) : t("noDesk");
  $("me-text").textContent = `${me.name ?? ""} · ${desk} · ${statusLabel(me.status, state.locale)}`;
  const group = $("status-buttons");
  const label = $("status-label");
  const buttons = group.querySelectorAll("button");
  if (buttons.length !== STAFF_STATUSES.length) {
    group.replaceChildren(
      label,
      ...STAFF_STATUSES.map((status) =>
        el("button", {
          type: "button",
          class: `status-${status}`,
          "data-status": status,
          onclick: () => setMyStatus(status),
        }),
      ),
    );
  }
  for (const button of group.querySelectorAll("button")) {
    button.textContent = statusLabel(button.dataset.status, state.locale);
    button.setAttribute("aria-pressed", String(button.dataset.status === me.status));
  }
}

function renderSkills(me, categories) {
  const skills = me.skills ?? [];
  const print = fingerprint([state.locale, categories]);
  const list = $("skills-list");
  if (print !== state.drawn.skills) {
    state.drawn.skills = print;
    list.replaceChildren(
      ...categories.map((name) => {
        const id = `skill-${name}`;
        return el(
          "p",
          { class: "check" },
          el("input", {
            type: "checkbox",
            id,
            value: name,
            onchange: () => {
              state.skillsDirty = true;
            },
          }),
          el("label", { for: id, text: categoryLabel(name, state.locale) }),
        );
      }),
    );
  }
  if (!state.skillsDirty) {
    for (const input of list.querySelectorAll("input")) input.checked = skills.includes(input.value);
  }
}

function renderQueues(data) {
  const rows = queueRows(data.queues, data.categories, state.locale);
  const print = fingerprint([state.locale, rows]);
  if (print === state.drawn.queues) return;
  state.drawn.queues = print;
  fillRows(
    $("queue-rows"),
    rows.map((row) => [
      row.label,
      String(row.waiting),
      String(row.callbacks),
      row.waiting || row.callbacks ? duration(row.oldest, state.locale) : t("dash"),
    ]),
  );
  for (const tr of $("queue-rows").children) {
    for (const cell of [...tr.children].slice(1)) cell.className = "num";
  }
}

function renderDay(day) {
  const print = fingerprint([state.locale, day]);
  if (print === state.drawn.day) return;
  state.drawn.day = print;
  const ratings = day.ratings ?? 0;
  const satisfaction = ratings
    ? t("satisfactionValue", { mean: oneDecimal(day.rating_mean, state.locale), n: ratings })
    : t("noRatings");
  const figures = [
    ["dayCalled", String(day.called ?? 0)],
    ["dayClosed", String(day.closed ?? 0)],
    ["dayTransferred", String(day.transferred ?? 0)],
    ["dayHandling", duration(day.handling_p50_s ?? null, state.locale)],
    ["daySatisfaction", satisfaction],
  ];
  $("day-figures").replaceChildren(
    ...figures.map(([key, value]) =>
      el("div", { class: "figure" }, el("dt", { text: t(key) }), el("dd", { text: value })),
    ),
  );
}

function renderServing(tickets) {
  const list = $("serving-list");
  const ids = new Set(tickets.map((ticket) => ticket.id));
  for (const [id, card] of state.cards) {
    if (ids.has(id)) continue;
    const hadFocus = card.root.contains(document.activeElement);
    card.root.remove();
    state.cards.delete(id);
    if (hadFocus) $("call-next").focus();
  }
  for (const ticket of tickets) {
    let card = state.cards.get(ticket.id);
    if (!card) {
      card = makeCard(ticket);
      state.cards.set(ticket.id, card);
      list.append(card.root);
    }
    updateCard(card, ticket);
  }
  $("serving-empty").hidden = tickets.length > 0;
}

// -- a ticket's card ---------------------------------------------------------------------------

/** A labelled textarea in a paragraph. */
function area(id, key, maxLength, rows = 2, required = true) {
  const control = el("textarea", { id, rows, maxLength, required });
  return { control, row: el("p", { class: "field" }, el("label", { for: id, text: t(key) }), control) };
}

function makeCard(ticket) {
  const id = ticket.id;
  const p = `ticket-${id}`;
  const heading = el("h3", { id: `${p}-title`, tabIndex: -1 });
  const stateLine = el("p", { class: "state-line" });
  const facts = el("dl", { class: "facts" });

  const logList = el("ul");
  const log = el(
    "div",
    { class: "chat-log", role: "log", "aria-live": "polite", "aria-labelledby": `${p}-conv`, tabIndex: 0 },
    logList,
  );
  const message = area(`${p}-message`, "messageToCitizen", LIMITS.message);
  const messageForm = el(
    "form",
    { class: "stack-form", onsubmit: (event) => onMessage(event, id, message.control) },
    message.row,
    el("p", {}, el("button", { type: "submit", text: t("send") })),
  );

  const notesList = el("ul", { class: "notes" });
  const note = area(`${p}-note`, "newNote", LIMITS.note);
  const noteForm = el(
    "form",
    { class: "stack-form", onsubmit: (event) => onNote(event, id, note.control) },
    note.row,
    el("p", {}, el("button", { type: "submit", class: "secondary", text: t("addNote") })),
  );

  const target = el("select", { id: `${p}-target`, required: true });
  const transferNote = area(`${p}-transfer-note`, "transferNote", LIMITS.note, 2, false);
  const transferForm = el(
    "form",
    { class: "stack-form", onsubmit: (event) => onTransfer(event, id, target, transferNote.control) },
    el("p", { class: "field" }, el("label", { for: target.id, text: t("transferTo") }), target),
    transferNote.row,
    el("p", {}, el("button", { type: "submit", class: "secondary", text: t("transferButton") })),
  );

  const resolution = area(`${p}-resolution`, "resolution", LIMITS.resolution, 3);
  resolution.control.setAttribute("aria-describedby", `${p}-resolution-help`);
  const closeForm = el(
    "form",
    { class: "stack-form", onsubmit: (event) => onClose(event, id, resolution.control) },
    resolution.row,
    el("p", { id: `${p}-resolution-help`, class: "hint", text: t("resolutionHelp") }),
    el("p", {}, el("button", { type: "submit", class: "primary", text: t("closeButton") })),
  );

  const history = el("ol", { class: "history" });
  const section = (suffix, key, ...children) =>
    el(
      "section",
      { class: `card-part part-${suffix}`, "aria-labelledby": `${p}-${suffix}` },
      el("h4", { id: `${p}-${suffix}`, text: t(key) }),
      ...children,
    );
  const root = el(
    "article",
    { class: "card ticket-card", "aria-labelledby": `${p}-title`, "data-ticket": id },
    heading,
    stateLine,
    facts,
    section("conv", "conversation", log, messageForm),
    el(
      "div",
      { class: "card-columns" },
      section("notes", "notes", notesList, noteForm),
      section("transfer", "transfer", transferForm),
    ),
    section("close", "closeTicket", closeForm),
    section("history", "history", history),
  );
  return {
    root,
    heading,
    stateLine,
    facts,
    logList,
    log,
    messageForm,
    notesList,
    target,
    history,
    logIds: new Set(),
    prints: {},
  };
}

/**
 * The internal notes seen so far of a ticket, by event id: from its reads and from the
 * answers to POST /api/center/tickets/note (GET /api/center/console's later reads of a ticket
 * leave notes out, as the server implements it today).
 */
function notesSeen(ticketId) {
  let seen = state.notes.get(ticketId);
  if (!seen) {
    seen = new Map();
    state.notes.set(ticketId, seen);
  }
  return seen;
}

function changed(card, part, value) {
  const print = fingerprint([state.locale, value]);
  if (card.prints[part] === print) return false;
  card.prints[part] = print;
  return true;
}

function updateCard(card, ticket) {
  const locale = state.locale;
  if (changed(card, "head", [ticket.id, ticket.callback, ticket.category, ticket.citizen_name])) {
    card.heading.textContent = `${ticketTitle(ticket, locale)} · ${categoryLabel(ticket.category, locale)} · ${ticket.citizen_name ?? ""}`;
  }
  if (changed(card, "state", [ticket.state, ticket.desk, ticket.called_at])) {
    const desk = ticket.desk ? t("deskN", { n: ticket.desk }) : t("noDesk");
    card.stateLine.replaceChildren(
      el("span", { class: `badge state-${ticket.state}`, text: stateLabel(ticket.state, locale) }),
      ` ${desk}`,
    );
  }
  if (changed(card, "facts", [ticket.description, ticket.needs, ticket.contact, ticket.created_at, ticket.called_at])) {
    const rows = [
      [t("citizen"), ticket.citizen_name ?? ""],
      [t("description"), ticket.purged ? t("purged") : (ticket.description ?? "")],
      [t("needs"), needsText(ticket.needs, locale) || t("none")],
    ];
    if (ticket.callback) rows.push([t("callbackContact"), ticket.contact ?? t("none")]);
    rows.push([t("takenAt"), clockTime(ticket.created_at, locale)]);
    if (ticket.called_at && ticket.created_at) {
      rows.push([t("waited"), duration(ticket.called_at - ticket.created_at, locale)]);
    }
    card.facts.replaceChildren(
      ...rows.flatMap(([term, value]) => [
        el("dt", { text: term }),
        el("dd", { class: term === t("needs") && ticket.needs?.length ? "needs" : "", text: value }),
      ]),
    );
  }
  // The conversation: only new lines are added.
  const lines = messagesOf(ticket, locale, state.subject);
  const empty = card.logList.querySelector(".empty");
  if (lines.length === 0 && !empty) {
    card.logList.append(el("li", { class: "chat-line empty", text: t("noMessages") }));
  }
  let added = false;
  for (const line of lines) {
    if (card.logIds.has(line.id)) continue;
    card.logIds.add(line.id);
    card.logList.querySelector(".empty")?.remove();
    card.logList.append(
      el(
        "li",
        { class: `chat-line ${line.mine ? "chat-mine" : ""}`, "data-event": line.id },
        el("time", { text: clockTime(line.at, locale) }),
        " ",
        el("span", { class: "chat-name", text: `${line.author}: ` }),
        el("span", { class: "chat-text", text: line.text }),
      ),
    );
    added = true;
  }
  if (added) card.log.scrollTop = card.log.scrollHeight;
  card.messageForm.hidden = !canMessage(ticket);

  // Notes are kept as they are seen: they are never taken back, and a console refresh of
  // the API as implemented may leave them out (see notesSeen).
  const seen = notesSeen(ticket.id);
  for (const event of ticket.events ?? []) if (event.kind === "note") seen.set(event.id, event);
  const noted = [...seen.values()].sort((a, b) => a.id - b.id);
  const notes = notesOf({ ...ticket, events: noted }, locale, state.subject);
  if (changed(card, "notes", notes)) {
    card.notesList.replaceChildren(
      ...(notes.length
        ? notes.map((item) =>
            el(
              "li",
              {},
              el("time", { text: clockTime(item.at, locale) }),
              " ",
              el("span", { class: "chat-name", text: `${item.author}: ` }),
              el("span", { class: "note-text", text: item.text }),
            ),
          )
        : [el("li", { class: "empty", text: t("noNotes") })]),
    );
  }
  const colleagues = (state.data?.colleagues ?? []).filter((c) => c.subject !== state.subject);
  const categories = state.data?.categories ?? [];
  if (changed(card, "targets", [ticket.category, categories, colleagues])) {
    const chosen = card.target.value;
    const option = (value, text) => el("option", { value, text, selected: value === chosen });
    card.target.replaceChildren(
      el("option", { value: "", text: "—" }),
      el(
        "optgroup",
        { label: t("toCategory") },
        ...categories.filter((name) => name !== ticket.category).map((name) => option(`category:${name}`, categoryLabel(name, locale))),
      ),
      colleagues.length
        ? el(
            "optgroup",
            { label: t("toColleague") },
            ...colleagues.map((c) => option(`staff:${c.subject}`, `${c.name} (${statusLabel(c.status, locale)})`)),
          )
        : null,
    );
  }
  if (changed(card, "history", ticket.events ?? [])) {
    card.history.replaceChildren(
      ...(ticket.events ?? [])
        .filter((event) => event.kind !== "message" && event.kind !== "note")
        .map((event) =>
          el(
            "li",
            {},
            el("time", { text: clockTime(event.at, locale) }),
            " ",
            el("span", { text: eventText(event, ticket, locale, state.subject) }),
          ),
        ),
    );
  }
}

// -- actions -----------------------------------------------------------------------------------

/** Run an action; its refusal is shown with the API's reason until the next action. */
async function act(work) {
  showError("");
  delete $("error").dataset.action;
  try {
    await work();
    return true;
  } catch (error) {
    $("error").dataset.action = "1";
    showError(errorText(error, state.locale));
    return false;
  }
}

async function setMyStatus(status) {
  await act(async () => {
    await state.api.staff({ status });
    setStatus(t("statusSet", { status: statusLabel(status, state.locale) }));
    await poller.now();
  });
}

/**
 * The avatar arrived outside the center while the user has a desk (it connected after the
 * status was set): setting the status again has the server seat it. The status is read
 * first, so a call made meanwhile is not undone.
 */
async function seat() {
  if (!state.api) return;
  const data = await state.api.console();
  const me = data?.me;
  if (!me?.desk || !me.status || me.status === "offline") return;
  await state.api.staff({ status: me.status });
  await poller.now();
}

function onPresenceToggle() {
  const on = $("presence-toggle").checked;
  storePresenceWanted(on);
  presence.update({ enabled: on });
}

async function onSkills(event) {
  event.preventDefault();
  const skills = [...$("skills-list").querySelectorAll("input:checked")].map((input) => input.value);
  if (!skills.length) {
    $("error").dataset.action = "1";
    showError(t("needSkill"));
    return;
  }
  await act(async () => {
    await state.api.staff({ skills });
    state.skillsDirty = false;
    setStatus(t("skillsSaved"));
    await poller.now();
  });
}

async function onCallNext() {
  const button = $("call-next");
  button.disabled = true;
  setStatus(t("calling"));
  await act(async () => {
    const ticket = await state.api.callNext();
    if (!ticket) {
      setStatus(t("nobodyWaiting"));
      return;
    }
    setStatus(t("calledTicket", { id: ticket.id }));
    await poller.now();
    state.cards.get(ticket.id)?.heading.focus();
  });
  button.disabled = false;
}

async function onMessage(event, id, input) {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  await act(async () => {
    await state.api.message(id, text);
    input.value = "";
    await poller.now();
  });
}

async function onNote(event, id, input) {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  await act(async () => {
    const event = await state.api.note(id, text);
    if (event?.id) notesSeen(id).set(event.id, { ...event, kind: "note" });
    input.value = "";
    setStatus(t("noteAdded"));
    await poller.now();
  });
}

async function onTransfer(event, id, select, noteInput) {
  event.preventDefault();
  const [kind, ...rest] = select.value.split(":");
  const value = rest.join(":");
  if (!value) {
    $("error").dataset.action = "1";
    showError(t("chooseTarget"));
    select.focus();
    return;
  }
  const note = noteInput.value.trim();
  await act(async () => {
    await state.api.transfer(id, kind === "staff" ? { toStaff: value, note } : { category: value, note });
    setStatus(t("transferred", { id }));
    await poller.now();
  });
}

async function onClose(event, id, input) {
  event.preventDefault();
  const resolution = input.value.trim();
  if (!resolution) {
    $("error").dataset.action = "1";
    showError(t("needResolution"));
    input.focus();
    return;
  }
  await act(async () => {
    await state.api.close(id, resolution);
    setStatus(t("closedTicket", { id }));
    await poller.now();
  });
}

function onLocale(locale) {
  state.locale = locale;
  applyTexts(locale);
  for (const key of Object.keys(state.drawn)) state.drawn[key] = null;
  // Cards carry their words in their labels: make them again (typed text is kept).
  for (const [id, card] of state.cards) {
    const typed = [...card.root.querySelectorAll("textarea")].map((area) => [area.id, area.value]);
    const fresh = makeCard(state.data.serving.find((ticket) => ticket.id === id));
    card.root.replaceWith(fresh.root);
    for (const [areaId, value] of typed) {
      const again = fresh.root.querySelector(`#${CSS.escape(areaId)}`);
      if (again) again.value = value;
    }
    state.cards.set(id, fresh);
  }
  render();
  renderPresence();
}

// -- start -------------------------------------------------------------------------------------

applyTexts(state.locale);
$("call-next").addEventListener("click", onCallNext);
$("skills-form").addEventListener("submit", onSkills);
$("sign-out").addEventListener("click", () => {
  presence.stop(); // the avatar leaves with the console
  signOut();
});
$("presence-toggle").checked = presenceWanted();
$("presence-toggle").addEventListener("change", onPresenceToggle);
bindSignIn({ locale: state.locale, onLocale, onEnter: enter });

globalThis.__center = { state, poller, presence };
