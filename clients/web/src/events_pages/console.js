// /events/console: the festival organizer's console (roles organizer and admin; docs/events.md).
//
// - Running the event: pick the event, open or close its gates, set its capacity.
// - Attendance: GET /api/zones every 2 s, the festival zone's instances and their crowds.
// - The countdown: a big display counting down, on the server's clock, to the next
//   countdown moment (else the next moment of any kind); "Countdown to" schedules one.
// - Cues: fireworks or lights in 5 s, the Bosingak bell preset (33 strokes, 2.5 s apart,
//   from the next midnight in Seoul), any moment; the moments still to fire, each counting
//   down, each with Cancel.
// - Events: the schedule with RSVP counts; create, edit and cancel.
// - Announcements in several languages to everyone in the grounds; mute, ban and kick; chat
//   slow mode.
//
// The server clock: every answer's `Date` header bounds the offset between the server's
// clock and this browser's (format.js ServerClock); the ranges of the answers polled every
// 2 s are intersected, which gives the offset within a few tens of ms after a few polls. The
// countdowns read that clock, so they agree with the server (and with every attendee's
// client, which fires a moment on its own synchronized clock) even when this computer's
// clock is off. Times typed in the date-time fields are in the browser's time zone and sent
// as ISO 8601 with that offset.
//
// Every action's refusal is shown in the alert region with the API's reason; what went well
// is said in the polite status line. Tables are drawn again only when their data change, and
// the focused button is focused again after a redraw.
import { applyPreferences } from "../common/page.js";
import { guessLocale } from "../i18n.js";
import { Poller, meter } from "../center_pages/page.js";
import { claimsOf } from "../center_pages/format.js";
import { fetchProfile, secondsLeft, storeLocale, storeToken, storedLocale, storedToken } from "../session.js";
import { ApiError, EventsApi } from "./api.js";
import {
  ActionKeys,
  BELL_PRESET,
  LIMITS,
  MOMENT_KINDS,
  ServerClock,
  actionError,
  changedFields,
  clockIn,
  countdownTarget,
  countdownText,
  eventState,
  fingerprint,
  inputToSeconds,
  kindLabel,
  localInputToIso,
  localInputValue,
  localOffsetMinutes,
  momentBody,
  momentEnd,
  momentPreset,
  offsetName,
  parsePerformers,
  pickEvent,
  pickText,
  repeatsText,
  sanctionMinutes,
  slowSeconds,
  textMap,
} from "./format.js";
import { EVENTS_LANGUAGE_NAMES, EVENTS_LOCALES, TEXT_LOCALES, et, eventsLocale } from "./texts.js";

/** How often the schedule, the moments and the attendance are asked for. */
const POLL_MS = 2000;
/** How often the countdowns are redrawn. */
const TICK_MS = 200;
/** A held token with less than this left is not used. */
const MIN_TOKEN_LEFT_S = 30;
/** Roles that may use the console. */
const ORGANIZER_ROLES = ["organizer", "admin"];
/** The festival grounds' zone. */
const FESTIVAL_ZONE = "festival";
/** Seconds left at which the big countdown is read out (polite status). */
const SPOKEN_AT = [60, 30, 10, 5, 0];
/** A second press of Cancel within this many ms cancels the event. */
const CONFIRM_MS = 6000;

const $ = (id) => document.getElementById(id);

const clock = new ServerClock();
const keys = new ActionKeys();

const state = {
  locale: eventsLocale(storedLocale() ?? guessLocale()),
  /** @type {EventsApi|null} */
  api: null,
  role: null,
  name: "",
  events: [],
  moments: [],
  /** GET /api/zones' festival zone, or null. */
  festival: null,
  zonesAt: null,
  /** The event chosen in "Running the event". */
  chosen: null,
  /** The event being edited: {id, original, startsInput, endsInput}, or null. */
  editing: null,
  /** Slow mode as last set from this page (seconds), or null. */
  slow: null,
  /** {id, until}: the Cancel press waiting for its confirmation. */
  confirm: null,
  /** Milestones of the big countdown already read out. */
  spoken: new Set(),
  drawn: { select: null, live: null, events: null, moments: null, attendance: null },
};

function t(key, values) {
  return et(state.locale, key, values);
}

/** A small element builder: props are attributes (text: textContent, on*: listeners). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

// -- texts -------------------------------------------------------------------------------------

function applyTexts() {
  document.documentElement.lang = state.locale;
  for (const element of document.querySelectorAll("[data-et]")) element.textContent = t(element.dataset.et);
  for (const element of document.querySelectorAll("[data-et-label]")) {
    element.setAttribute("aria-label", t(element.dataset.etLabel));
  }
  document.title = t("consoleTitle");
  for (const label of document.querySelectorAll("label[data-lang-key]")) {
    const lang = label.dataset.lang;
    const need = lang === "ko" ? t("required") : t("optional");
    label.textContent = `${t(label.dataset.langKey, { lang: t(`lang_${lang}`) })} · ${t(`lang_${lang}`)} ${need}`;
  }
  for (const option of $("moment-kind").options) option.textContent = kindLabel(option.value, state.locale);
  const zone = offsetName(localOffsetMinutes(Date.now()));
  for (const id of ["tz-help", "tz-help-event"]) $(id).textContent = t("timeZoneHelp", { zone });
  renderEditorHead();
  showSent("countdown-at", "countdown-sent");
  showSent("moment-at", "moment-sent");
  for (const key of Object.keys(state.drawn)) state.drawn[key] = null;
  renderSlow();
  render();
}

/** The four language fields of a text (title, description, announcement). */
function langFields(container, prefix, { rows = 0, maxLength, labelKey }) {
  container.replaceChildren(
    ...TEXT_LOCALES.map((lang) => {
      const id = `${prefix}-${lang}`;
      const control = rows
        ? el("textarea", { id, rows, maxlength: maxLength, lang, required: lang === "ko" })
        : el("input", { id, maxlength: maxLength, lang, autocomplete: "off", required: lang === "ko" });
      return el(
        "p",
        { class: "field" },
        el("label", { for: id, "data-lang": lang, "data-lang-key": labelKey }),
        control,
      );
    }),
  );
}

/** The values of a text's language fields: {ko, en, ja, zh}. */
function langValues(prefix) {
  return Object.fromEntries(TEXT_LOCALES.map((lang) => [lang, $(`${prefix}-${lang}`).value]));
}

function setLangValues(prefix, map) {
  for (const lang of TEXT_LOCALES) $(`${prefix}-${lang}`).value = map?.[lang] ?? "";
}

// -- the status and error regions -----------------------------------------------------------

function setStatus(text) {
  const status = $("status");
  if (status.textContent !== text) status.textContent = text;
}

/** The alert region: an action's refusal with the API's reason ("" clears it). */
function showError(text, { action = false } = {}) {
  const error = $("error");
  if (action) error.dataset.action = "1";
  else if (!text) delete error.dataset.action;
  if (error.textContent !== text) error.textContent = text;
}

/**
 * Run an action: its refusal stays in the alert region, with the API's reason, until the
 * next action. Returns whether it went through.
 */
async function act(action, work) {
  showError("");
  try {
    await work();
    return true;
  } catch (error) {
    if (error?.status === 401) signedOut();
    showError(actionError(action, error, state.locale), { action: true });
    return false;
  }
}

/** A check of the form before sending: the message in the alert region. */
function refuse(text, focus = null) {
  showError(text, { action: true });
  focus?.focus();
}

// -- signing in --------------------------------------------------------------------------------

function bindSignIn() {
  const select = $("locale-select");
  select.replaceChildren(
    ...EVENTS_LOCALES.map((code) =>
      el("option", { value: code, lang: code, text: EVENTS_LANGUAGE_NAMES[code], selected: code === state.locale }),
    ),
  );
  select.addEventListener("change", () => {
    state.locale = select.value;
    storeLocale(state.locale);
    applyTexts();
  });
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (!token) {
      $("token-input").closest("details")?.setAttribute("open", "");
      $("token-input").focus();
      return;
    }
    await enter(token);
  });
  const held = storedToken();
  if (held && secondsLeft(held) > MIN_TOKEN_LEFT_S) enter(held);
}

async function enter(token) {
  const button = $("sign-in-form").querySelector("button[type=submit]");
  button.disabled = true;
  showError("");
  setStatus(t("signingIn"));
  const before = storedToken();
  storeToken(token);
  try {
    const api = new EventsApi(token, { clock });
    const who = await api.check();
    if (!ORGANIZER_ROLES.includes(who?.role)) {
      throw new ApiError(403, "forbidden", t("needOrganizer", { role: who?.role ?? "?" }));
    }
    state.api = api;
    state.role = who.role;
    state.name = claimsOf(token)?.name ?? who.subject;
    $("sign-in").hidden = true;
    $("console").hidden = false;
    $("sign-out").hidden = false;
    setStatus(t("signedInAs", { name: state.name, role: who.role }));
    fetchProfile(token)
      .then((profile) => applyPreferences(profile))
      .catch(() => applyPreferences(null));
    poller.start();
  } catch (error) {
    storeToken(error?.status === 401 ? null : before);
    setStatus("");
    showError(actionError("signIn", error, state.locale), { action: true });
  } finally {
    button.disabled = false;
  }
}

/** The token expired or was refused: back to the sign-in form. */
function signedOut() {
  poller.stop();
  state.api = null;
  $("console").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
}

// -- polling -----------------------------------------------------------------------------------

async function refresh() {
  const api = state.api;
  if (!api) return;
  const [events, moments, zones] = await Promise.allSettled([api.events(), api.moments(), api.zones()]);
  const failure = [events, moments, zones].find((result) => result.status === "rejected");
  if (events.status === "fulfilled") state.events = events.value;
  if (moments.status === "fulfilled") state.moments = moments.value;
  if (zones.status === "fulfilled") {
    state.festival = (zones.value?.zones ?? []).find((zone) => zone.name === FESTIVAL_ZONE) ?? null;
    state.zonesAt = clock.nowS();
  }
  if (failure?.reason?.status === 401) {
    signedOut();
    showError(t("expired"), { action: true });
    return;
  }
  if (!$("error").dataset.action) showError(failure ? actionError("refresh", failure.reason, state.locale) : "");
  render();
}

const poller = new Poller(refresh, POLL_MS);

// -- drawing -----------------------------------------------------------------------------------

function render() {
  if (!state.api) return;
  const now = clock.nowS();
  state.chosen = pickEvent(state.events, state.chosen?.id ?? null, now);
  renderSelect();
  renderLive();
  renderAttendance();
  renderMoments();
  renderEvents(now);
  tick();
}

/** Draw `draw()` into `container`, then focus again the control that had the focus. */
function keepFocus(container, draw) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  draw();
  if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

function eventName(event) {
  if (!event) return "";
  return `${pickText(event.title, state.locale)} (#${event.id})`;
}

const dateTag = () => (state.locale === "ko" ? "ko-KR" : "en-GB");

/** A date and time (or a range of them) in the browser's time zone. */
function when(start, end = null) {
  const format = new Intl.DateTimeFormat(dateTag(), { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" });
  try {
    return end === null ? format.format(start * 1000) : format.formatRange(start * 1000, end * 1000);
  } catch {
    return end === null ? format.format(start * 1000) : `${format.format(start * 1000)} – ${format.format(end * 1000)}`;
  }
}

/** A moment's time: the day when it is not today, and the seconds. */
function momentTime(at) {
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  const date = new Date(at * 1000);
  if (date.toDateString() !== new Date(clock.nowS() * 1000).toDateString()) {
    options.month = "short";
    options.day = "numeric";
  }
  return date.toLocaleString(dateTag(), options);
}

function renderSelect() {
  const select = $("event-select");
  const print = fingerprint([state.locale, state.events.map((e) => [e.id, e.title]), state.chosen?.id]);
  if (print === state.drawn.select) return;
  state.drawn.select = print;
  select.replaceChildren(
    ...state.events.map((event) =>
      el("option", { value: event.id, text: eventName(event), selected: event.id === state.chosen?.id }),
    ),
  );
  select.disabled = state.events.length === 0;
  $("no-events-hint").hidden = state.events.length > 0;
  $("live-controls").hidden = state.events.length === 0;
}

function renderLive() {
  const event = state.chosen;
  const print = fingerprint([state.locale, event?.id, event?.gates, event?.capacity]);
  if (print === state.drawn.live) return;
  const sameEvent = state.drawn.liveId === event?.id;
  state.drawn.live = print;
  state.drawn.liveId = event?.id;
  if (!event) return;
  const open = event.gates === "open";
  const badge = $("gates-state");
  badge.textContent = t("gatesAre", { state: t(`gates_${event.gates}`) });
  badge.className = `badge gates-${event.gates}`;
  const button = $("gates-button");
  button.textContent = open ? t("closeGates") : t("openGates");
  button.className = open ? "secondary" : "primary";
  const input = $("capacity-input");
  // What the organizer is typing stays; a new event, or a change from elsewhere, shows.
  if (!sameEvent || document.activeElement !== input) input.value = String(event.capacity);
}

function renderAttendance() {
  const festival = state.festival;
  const capacity = state.chosen?.capacity;
  const print = fingerprint([state.locale, festival, capacity]);
  if (print !== state.drawn.attendance) {
    state.drawn.attendance = print;
    if (!festival) {
      $("attendance-total").textContent = t("noFestival");
      $("attendance-rows").replaceChildren();
    } else {
      const total = t("inGrounds", { n: festival.avatars.toLocaleString(dateTag()) });
      $("attendance-total").textContent = capacity
        ? `${total} · ${t("ofCapacity", { n: capacity.toLocaleString(dateTag()) })}`
        : total;
      const perInstance = festival.capacity || 1;
      $("attendance-rows").replaceChildren(
        ...festival.instances.map((instance) =>
          el(
            "tr",
            {},
            el("th", {
              scope: "row",
              text: instance.node
                ? t("instanceOnNode", { n: instance.number, node: instance.node })
                : t("instanceN", { n: instance.number }),
            }),
            el("td", { class: "num", text: instance.avatars.toLocaleString(dateTag()) }),
            el(
              "td",
              { class: "bar-cell" },
              meter(instance.avatars / perInstance),
              el("span", { class: "visually-hidden", text: `${Math.round((instance.avatars / perInstance) * 100)}%` }),
            ),
          ),
        ),
      );
    }
  }
  const updated = state.zonesAt === null ? "" : t("updatedAt", { time: clockIn(state.zonesAt, localOffsetMinutes(state.zonesAt * 1000)) });
  if ($("attendance-updated").textContent !== updated) $("attendance-updated").textContent = updated;
}

function renderMoments() {
  const moments = state.moments.filter((moment) => !moment.cancelled);
  const names = Object.fromEntries(state.events.map((event) => [event.id, pickText(event.title, state.locale)]));
  const print = fingerprint([state.locale, moments, names]);
  if (print === state.drawn.moments) return;
  state.drawn.moments = print;
  const tbody = $("moment-rows");
  keepFocus(tbody, () => {
    tbody.replaceChildren(
      ...moments.map((moment) =>
        el(
          "tr",
          { "data-moment": moment.id },
          el("th", { scope: "row", text: momentTime(moment.at) }),
          el("td", {}, el("span", { class: `kind kind-${moment.kind}`, text: kindLabel(moment.kind, state.locale) })),
          el("td", { text: pickText(moment.label, state.locale) || t("dash") }),
          el("td", { text: names[moment.event] ? `${names[moment.event]} (#${moment.event})` : `#${moment.event}` }),
          el("td", { text: repeatsText(moment, state.locale) }),
          el("td", { class: "num moment-in", "data-at": moment.at, "data-end": momentEnd(moment) }),
          el(
            "td",
            {},
            el("button", {
              type: "button",
              class: "secondary small",
              "data-key": `cancel-moment-${moment.id}`,
              "aria-label": t("cancelMoment", { id: moment.id }),
              text: t("cancel"),
              onclick: () => onCancelMoment(moment),
            }),
          ),
        ),
      ),
    );
  });
  $("moments-empty").hidden = moments.length > 0;
}

function renderEvents(now) {
  const confirming = state.confirm && state.confirm.until > Date.now() ? state.confirm.id : null;
  const rows = state.events.map((event) => [event, eventState(event, now)]);
  const print = fingerprint([state.locale, rows, confirming, state.editing?.id]);
  if (print === state.drawn.events) return;
  state.drawn.events = print;
  const tbody = $("event-rows");
  keepFocus(tbody, () => {
    tbody.replaceChildren(
      ...rows.map(([event, phase]) => {
        const open = event.gates === "open";
        return el(
          "tr",
          { "data-event": event.id, class: event.id === state.editing?.id ? "shown" : "" },
          el("th", { scope: "row" }, pickText(event.title, state.locale), el("span", { class: "tag", text: ` #${event.id}` })),
          el("td", { class: "event-when", text: when(event.starts_at, event.ends_at) }),
          el("td", { class: "num", text: event.capacity.toLocaleString(dateTag()) }),
          el("td", { class: "num", text: event.rsvps.toLocaleString(dateTag()) }),
          el("td", {}, el("span", { class: `badge gates-${event.gates}`, text: t(`gates_${event.gates}`) })),
          el("td", {}, el("span", { class: `badge ev-${phase}`, text: t(`state_${phase}`) })),
          el(
            "td",
            { class: "row-actions" },
            el("button", {
              type: "button",
              class: "secondary small",
              "data-key": `edit-${event.id}`,
              "aria-label": t("editEvent", { id: event.id }),
              text: t("edit"),
              onclick: () => startEditing(event),
            }),
            el("button", {
              type: "button",
              class: "secondary small",
              "data-key": `gates-${event.id}`,
              "aria-label": `${open ? t("closeGates") : t("openGates")} (#${event.id})`,
              text: open ? t("closeGates") : t("openGates"),
              onclick: () => setGates(event, !open),
            }),
            el("button", {
              type: "button",
              class: confirming === event.id ? "danger small" : "secondary small",
              "data-key": `cancel-${event.id}`,
              "aria-label": confirming === event.id ? `${t("confirmCancelButton")} (#${event.id})` : t("cancelEvent", { id: event.id }),
              text: confirming === event.id ? t("confirmCancelButton") : t("cancel"),
              onclick: () => onCancelEvent(event),
            }),
          ),
        );
      }),
    );
  });
  $("events-empty").hidden = rows.length > 0;
}

/** The countdowns, redrawn every TICK_MS on the server's clock. */
function tick() {
  if (!state.api) return;
  const now = clock.nowS();
  const line = clock.known
    ? `${t("serverTime", { time: clockIn(now, localOffsetMinutes(now * 1000)) })} ${t("clockPrecision", { ms: Math.max(1, Math.round(clock.errorMs)) })}`
    : t("clockUnknown");
  if ($("server-clock").textContent !== line) $("server-clock").textContent = line;

  const target = countdownTarget(state.moments, now);
  const display = $("countdown-display");
  const what = $("countdown-what");
  let big = "--:--";
  let words = t("noCountdown");
  if (target) {
    const name = pickText(target.label, state.locale) || kindLabel(target.kind, state.locale);
    big = countdownText(target.at - now, state.locale);
    words =
      now >= target.at
        ? `${t("countdownNow")} ${name}`
        : t("countdownTo", { what: name, time: momentTime(target.at) });
    speak(target, name, target.at - now);
  }
  if (display.textContent !== big) display.textContent = big;
  display.classList.toggle("now", Boolean(target) && now >= target.at);
  if (what.textContent !== words) what.textContent = words;

  for (const cell of document.querySelectorAll("#moment-rows .moment-in")) {
    const at = Number(cell.dataset.at);
    const end = Number(cell.dataset.end);
    const text = now < at ? countdownText(at - now, state.locale) : now < end ? t("firing") : t("countdownNow");
    if (cell.textContent !== text) cell.textContent = text;
  }
  if (state.confirm && state.confirm.until <= Date.now()) {
    state.confirm = null;
    renderEvents(now);
  }
}

/** Read the big countdown out at a few milestones (not every second: that would drown the rest). */
function speak(target, name, left) {
  const mark = SPOKEN_AT.find((seconds) => left <= seconds && left > seconds - 1);
  if (mark === undefined) return;
  const key = `${target.id}:${mark}`;
  if (state.spoken.has(key)) return;
  state.spoken.add(key);
  setStatus(mark === 0 ? `${t("countdownNow")} ${name}` : t("countdownLeft", { what: name, left: countdownText(left, state.locale) }));
}

// -- running the event -------------------------------------------------------------------------

function chosenEvent() {
  const event = state.chosen;
  if (!event) refuse(t("needEvent"), $("event-select"));
  return event;
}

async function setGates(event, open) {
  await act("gates", async () => {
    const updated = await state.api.gates(event.id, open);
    const title = pickText(updated.title, state.locale);
    setStatus(t(updated.gates === "open" ? "gatesOpened" : "gatesClosed", { title }));
    await poller.now();
  });
}

async function onCapacity(event) {
  event.preventDefault();
  const chosen = chosenEvent();
  if (!chosen) return;
  const capacity = Number($("capacity-input").value);
  await act("capacity", async () => {
    const updated = await state.api.updateEvent(chosen.id, { capacity });
    setStatus(t("capacitySet", { title: pickText(updated.title, state.locale), n: updated.capacity }));
    await poller.now();
  });
}

// -- moments -----------------------------------------------------------------------------------

/** The "Sent as …" line under a time field. */
function showSent(inputId, lineId) {
  const value = $(inputId).value;
  const iso = localInputToIso(value);
  const seconds = inputToSeconds(value);
  $(lineId).textContent = iso ? t("sentAs", { iso, seoul: clockIn(seconds) }) : "";
}

function fillTime(inputId, lineId, secondsAhead) {
  $(inputId).value = localInputValue(Math.ceil(clock.nowS()) + secondsAhead, { seconds: true });
  showSent(inputId, lineId);
}

async function schedule(fields) {
  const event = chosenEvent();
  if (!event) return false;
  return act("moment", async () => {
    const moment = await state.api.scheduleMoment(momentBody({ ...fields, event: event.id }));
    setStatus(t("momentScheduled", { kind: kindLabel(moment.kind, state.locale), time: momentTime(moment.at) }));
    await poller.now();
  });
}

async function onCountdown(event) {
  event.preventDefault();
  const at = inputToSeconds($("countdown-at").value);
  if (at === null) return refuse(t("needTime"), $("countdown-at"));
  const label = { ko: $("countdown-label-ko").value, en: $("countdown-label-en").value };
  if (await schedule({ kind: "countdown", at, label })) {
    for (const id of ["countdown-at", "countdown-label-ko", "countdown-label-en"]) $(id).value = "";
    showSent("countdown-at", "countdown-sent");
  }
}

async function onQuickCue(kind) {
  await schedule(momentPreset(kind, clock.nowS()));
}

function onBellPreset() {
  const preset = momentPreset("bell", clock.nowS());
  $("moment-kind").value = preset.kind;
  $("moment-at").value = localInputValue(preset.at, { seconds: true });
  $("moment-count").value = String(BELL_PRESET.count);
  $("moment-every").value = String(BELL_PRESET.every_s);
  $("moment-label-ko").value = "보신각 타종";
  $("moment-label-en").value = "Bosingak bell ringing";
  showSent("moment-at", "moment-sent");
  setStatus(t("presetFilled"));
}

async function onMoment(event) {
  event.preventDefault();
  const at = inputToSeconds($("moment-at").value);
  if (at === null) return refuse(t("needTime"), $("moment-at"));
  const fields = {
    kind: $("moment-kind").value,
    at,
    count: Number($("moment-count").value),
    every_s: Number($("moment-every").value),
    label: { ko: $("moment-label-ko").value, en: $("moment-label-en").value },
  };
  if (await schedule(fields)) {
    $("moment-form").reset();
    showSent("moment-at", "moment-sent");
  }
}

async function onCancelMoment(moment) {
  await act("momentCancel", async () => {
    await state.api.cancelMoment(moment.id);
    setStatus(t("momentCancelled", { id: moment.id }));
    await poller.now();
  });
  $("moments-title").focus?.();
}

// -- events ------------------------------------------------------------------------------------

function renderEditorHead() {
  const editing = state.editing;
  $("editor-title").textContent = editing ? t("eventFormEdit", { id: editing.id }) : t("eventFormNew");
  $("event-submit").textContent = editing ? t("saveEvent") : t("createEvent");
  $("stop-editing").hidden = !editing;
  $("stage-input").disabled = Boolean(editing);
  $("stage-help").hidden = !editing;
}

function startEditing(event) {
  const startsInput = localInputValue(event.starts_at);
  const endsInput = localInputValue(event.ends_at);
  state.editing = {
    id: event.id,
    original: {
      title: textMap(event.title),
      description: textMap(event.description),
      capacity: event.capacity,
      performers: event.performers,
    },
    startsInput,
    endsInput,
  };
  setLangValues("title", event.title);
  setLangValues("description", event.description);
  $("starts-input").value = startsInput;
  $("ends-input").value = endsInput;
  $("event-capacity").value = String(event.capacity);
  $("performers-input").value = event.performers.join(", ");
  $("stage-input").value = event.stage;
  renderEditorHead();
  state.drawn.events = null;
  render();
  $("editor-title").focus();
}

function stopEditing() {
  state.editing = null;
  $("event-form").reset();
  renderEditorHead();
  state.drawn.events = null;
  render();
}

async function onEventForm(event) {
  event.preventDefault();
  const title = textMap(langValues("title"));
  const description = textMap(langValues("description"));
  if (!title?.ko || !description?.ko) return refuse(t("needKoTitle"), $(title?.ko ? "description-ko" : "title-ko"));
  const starts = localInputToIso($("starts-input").value);
  const ends = localInputToIso($("ends-input").value);
  if (!starts || !ends) return refuse(t("needTimes"), $(starts ? "ends-input" : "starts-input"));
  const fields = {
    title,
    description,
    capacity: Number($("event-capacity").value),
    performers: parsePerformers($("performers-input").value),
  };
  const editing = state.editing;
  if (editing) {
    // Only what changed: a time left as it was is not sent again (a live event's start may
    // not be moved, and its field shows whole minutes).
    const changes = changedFields(editing.original, fields);
    if ($("starts-input").value !== editing.startsInput) changes.starts_at = starts;
    if ($("ends-input").value !== editing.endsInput) changes.ends_at = ends;
    if (!Object.keys(changes).length) {
      setStatus(t("nothingChanged"));
      return;
    }
    await act("update", async () => {
      const saved = await state.api.updateEvent(editing.id, changes);
      setStatus(t("eventSaved", { id: saved.id }));
      stopEditing();
      await poller.now();
    });
    return;
  }
  const body = { ...fields, starts_at: starts, ends_at: ends };
  const stage = $("stage-input").value.trim();
  if (stage) body.stage = stage;
  await act("create", async () => {
    const created = await state.api.createEvent(body);
    state.chosen = created;
    setStatus(t("eventCreated", { id: created.id }));
    $("event-form").reset();
    await poller.now();
  });
}

async function onCancelEvent(event) {
  if (!state.confirm || state.confirm.id !== event.id || state.confirm.until <= Date.now()) {
    state.confirm = { id: event.id, until: Date.now() + CONFIRM_MS };
    setStatus(`${t("cancelEvent", { id: event.id })}: ${t("confirmCancel")}`);
    render();
    return;
  }
  state.confirm = null;
  await act("cancel", async () => {
    await state.api.cancelEvent(event.id);
    setStatus(t("eventCancelled", { id: event.id }));
    if (state.editing?.id === event.id) stopEditing();
    await poller.now();
  });
  $("events-title").focus?.();
}

// -- announcements, moderation, slow mode -------------------------------------------------------

async function onAnnounce(event) {
  event.preventDefault();
  const text = textMap(langValues("announce"));
  if (!text?.ko) return refuse(t("needKoText"), $("announce-ko"));
  await act("announce", async () => {
    const answer = await state.api.announce(text);
    setStatus(t("announced", { n: answer?.reached ?? 0 }));
    setLangValues("announce", {});
  });
}

function moderationFields() {
  const subject = $("subject-input").value.trim();
  const reason = $("reason-input").value.trim();
  if (!subject || !reason) {
    refuse(t("needSubject"), $(subject ? "reason-input" : "subject-input"));
    return null;
  }
  return { subject, reason };
}

async function onSanction(kind) {
  const fields = moderationFields();
  if (!fields) return;
  const minutes = sanctionMinutes($("minutes-input").value);
  if (Number.isNaN(minutes)) return refuse(t("badMinutes"), $("minutes-input"));
  const action = { kind, ...fields, minutes };
  const key = keys.keyFor(action);
  await act(kind, async () => {
    try {
      const sanction = await state.api.sanction(action, key);
      keys.settle(null);
      setStatus(t(kind === "ban" ? "banned" : "muted", { subject: fields.subject, id: sanction?.id ?? "?" }));
    } catch (error) {
      keys.settle(error);
      throw error;
    }
  });
}

async function onKick() {
  const fields = moderationFields();
  if (!fields) return;
  if (fields.reason.length > LIMITS.kickReason) {
    return refuse(actionError("kick", { status: 400, reason: `reason: at most ${LIMITS.kickReason} characters` }, state.locale), $("reason-input"));
  }
  const key = keys.keyFor({ kind: "kick", ...fields });
  await act("kick", async () => {
    try {
      const answer = await state.api.kick(fields, key);
      keys.settle(null);
      setStatus(t(answer?.kicked ? "kicked" : "notThere", { subject: fields.subject }));
    } catch (error) {
      keys.settle(error);
      throw error;
    }
  });
}

function renderSlow() {
  const value = state.slow === null ? t("slowUnknown") : state.slow === 0 ? t("slowOff") : t("slowOn", { s: state.slow });
  $("slow-state").textContent = t("slowModeIs", { state: value });
}

async function setSlow(seconds) {
  if (seconds === null) return refuse(t("badSlow"), $("slow-input"));
  await act("slowMode", async () => {
    const answer = await state.api.slowMode(seconds);
    state.slow = Number(answer?.seconds ?? seconds);
    renderSlow();
    setStatus($("slow-state").textContent);
  });
}

// -- start -------------------------------------------------------------------------------------

function start() {
  $("moment-kind").replaceChildren(...MOMENT_KINDS.map((kind) => el("option", { value: kind })));
  langFields($("title-fields"), "title", { maxLength: LIMITS.title, labelKey: "eventTitleField" });
  langFields($("description-fields"), "description", { rows: 2, maxLength: LIMITS.description, labelKey: "eventDescriptionField" });
  langFields($("announce-fields"), "announce", { rows: 2, maxLength: LIMITS.announcement, labelKey: "announceTitle" });
  applyTexts();

  $("event-select").addEventListener("change", () => {
    state.chosen = state.events.find((event) => String(event.id) === $("event-select").value) ?? null;
    render();
  });
  $("gates-button").addEventListener("click", () => {
    const event = chosenEvent();
    if (event) setGates(event, event.gates !== "open");
  });
  $("capacity-form").addEventListener("submit", onCapacity);
  $("countdown-form").addEventListener("submit", onCountdown);
  $("countdown-at").addEventListener("input", () => showSent("countdown-at", "countdown-sent"));
  $("countdown-1m").addEventListener("click", () => fillTime("countdown-at", "countdown-sent", 60));
  $("countdown-5m").addEventListener("click", () => fillTime("countdown-at", "countdown-sent", 300));
  $("fireworks-5").addEventListener("click", () => onQuickCue("fireworks"));
  $("lights-5").addEventListener("click", () => onQuickCue("lights"));
  $("bell-preset").addEventListener("click", onBellPreset);
  $("moment-form").addEventListener("submit", onMoment);
  $("moment-at").addEventListener("input", () => showSent("moment-at", "moment-sent"));
  $("event-form").addEventListener("submit", onEventForm);
  $("stop-editing").addEventListener("click", stopEditing);
  $("announce-form").addEventListener("submit", onAnnounce);
  $("mute-button").addEventListener("click", () => onSanction("mute"));
  $("ban-button").addEventListener("click", () => onSanction("ban"));
  $("kick-button").addEventListener("click", onKick);
  $("moderation-form").addEventListener("submit", (event) => event.preventDefault());
  $("slow-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setSlow(slowSeconds($("slow-input").value));
  });
  $("slow-off").addEventListener("click", () => setSlow(0));
  $("sign-out").addEventListener("click", () => {
    storeToken(null);
    location.reload();
  });
  for (const id of ["moments-title", "events-title"]) $(id).tabIndex = -1;
  bindSignIn();
  setInterval(tick, TICK_MS);
}

start();

globalThis.__events = { state, clock, poller };
