// /center/dashboard: the supervisors' view (role admin) of today's figures, from
// GET /api/center/stats every 2 s while the page is visible: waiting tickets per category,
// wait and handling percentiles, satisfaction (the mean and the stars), the staff by status
// and each civil servant's day. Tables with captions (a screen reader reads them as tables);
// the bars repeat figures that are also written out, so they are hidden from assistive
// technology. The tables are not live regions: a refresh every 2 s would never stop talking.
import { el } from "../common/dom.js";
import { CenterApi } from "./api.js";
import { clockTime, dashboardRows, errorText, fingerprint, percent, starsLabel } from "./format.js";
import {
  $,
  Poller,
  applyTexts,
  bindSignIn,
  fillRows,
  initialLocale,
  meter,
  setStatus,
  showError,
  signOut,
} from "./page.js";
import { ct } from "./texts.js";

const POLL_MS = 2000;

const state = {
  locale: initialLocale(),
  /** @type {CenterApi|null} */
  api: null,
  categories: [],
  /** The center's time zone: "today" starts at its midnight. */
  timeZone: undefined,
  stats: null,
  drawn: null,
};

const poller = new Poller(refresh, POLL_MS);

function t(key, values) {
  return ct(state.locale, key, values);
}

async function enter({ token, claims }) {
  const api = new CenterApi(token);
  let stats;
  try {
    stats = await api.stats();
  } catch (error) {
    if (error?.status === 403) error.reason = t("needAdmin");
    throw error;
  }
  try {
    const info = await api.info();
    state.categories = info.categories ?? [];
    state.timeZone = info.hours?.timezone;
  } catch {
    state.categories = [];
  }
  state.api = api;
  state.stats = stats;
  $("sign-in").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  showError("");
  setStatus(claims?.name ? t("signedInAs", { name: claims.name }) : "");
  render();
  poller.start();
}

async function refresh() {
  if (!state.api) return;
  try {
    state.stats = await state.api.stats();
    showError("");
    render();
  } catch (error) {
    if (error?.status === 401) {
      poller.stop();
      state.api = null;
      $("board").hidden = true;
      $("sign-out").hidden = true;
      $("sign-in").hidden = false;
      showError(t("expired"));
      return;
    }
    showError(errorText(error, state.locale));
  }
}

function numeric(tbody, from = 1) {
  for (const tr of tbody.children) {
    for (const cell of [...tr.children].slice(from)) cell.className = cell.querySelector(".meter") ? "bar-cell" : "num";
  }
}

function render() {
  const stats = state.stats;
  if (!stats) return;
  const locale = state.locale;
  const start = clockTime(stats.since, locale, { timeZone: state.timeZone });
  const since = Number.isFinite(stats.since) ? ` · ${t("since", { time: start, zone: state.timeZone ?? "" })}` : "";
  $("updated").textContent = t("updatedAt", { time: clockTime(Date.now() / 1000, locale, { seconds: true }) }) + since;
  const print = fingerprint([locale, stats, state.categories]);
  if (print === state.drawn) return;
  state.drawn = print;
  const rows = dashboardRows(stats, locale, state.categories);

  $("summary-figures").replaceChildren(
    ...rows.summary.map(([label, value]) =>
      el("div", { class: "figure" }, el("dt", { text: label }), el("dd", { text: value })),
    ),
  );
  fillRows(
    $("waiting-rows"),
    rows.waiting.map((row) => [row.label, String(row.count), meter(row.share)]),
  );
  numeric($("waiting-rows"));
  fillRows($("times-rows"), rows.times);
  numeric($("times-rows"));
  $("satisfaction-mean").textContent = rows.satisfaction.text;
  fillRows(
    $("stars-rows"),
    rows.satisfaction.rows.map((row) => [
      starsLabel(row.stars, locale),
      String(row.count),
      percent(row.share),
      meter(row.share),
    ]),
  );
  numeric($("stars-rows"));
  fillRows($("staff-status-rows"), rows.staff);
  numeric($("staff-status-rows"));
  fillRows($("per-staff-rows"), rows.perStaff);
  numeric($("per-staff-rows"));
  $("per-staff-empty").hidden = rows.perStaff.length > 0;
  $("per-staff-table").hidden = rows.perStaff.length === 0;
}

function onLocale(locale) {
  state.locale = locale;
  applyTexts(locale);
  state.drawn = null;
  render();
}

applyTexts(state.locale);
$("sign-out").addEventListener("click", signOut);
bindSignIn({ locale: state.locale, onLocale, onEnter: enter });

globalThis.__center = { state, poller };
