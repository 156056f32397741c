// What the three 120 Center pages share in the browser: their language (the [data-ct]
// elements), the sign-in form (a guest name on the ticket page, a token everywhere; a token
// this tab already holds is used at once), the status and error regions, and a poller that
// runs while the page is visible.
import { applyPreferences } from "../common/page.js";
import { guessLocale } from "../i18n.js";
import {
  fetchProfile,
  secondsLeft,
  signInGuest,
  storeLocale,
  storeToken,
  storedLocale,
  storedToken,
} from "../session.js";
import { claimsOf, errorText } from "./format.js";
import { CENTER_LANGUAGE_NAMES, CENTER_LOCALES, centerLocale, ct } from "./texts.js";

/** A held token with less than this left is not used. */
const MIN_TOKEN_LEFT_S = 30;

export const $ = (id) => document.getElementById(id);

/** The language to start in: the one chosen on this device, else the browser's. */
export function initialLocale() {
  return centerLocale(storedLocale() ?? guessLocale());
}

/** Translate every [data-ct] element (and [data-ct-label] aria-label) and set <html lang>. */
export function applyTexts(locale, root = document) {
  document.documentElement.lang = locale;
  for (const element of root.querySelectorAll("[data-ct]")) {
    element.textContent = ct(locale, element.dataset.ct);
  }
  for (const element of root.querySelectorAll("[data-ct-label]")) {
    element.setAttribute("aria-label", ct(locale, element.dataset.ctLabel));
  }
  const title = document.querySelector("h1[data-ct]");
  if (title) document.title = title.textContent;
}

/** The token this tab holds, if it still has time left. */
export function heldToken() {
  const token = storedToken();
  return token && secondsLeft(token) > MIN_TOKEN_LEFT_S ? token : null;
}

/**
 * Wire the page's #sign-in-form: #locale-select, an optional #name-input (a guest), the
 * #token-input. `onEnter({token, claims})` is called with a token (a guest's is made here);
 * it may throw (an ApiError) to keep the form up with the reason.
 * @param {{locale: string, onLocale: (locale: string) => void,
 *   onEnter: (who: {token: string, claims: object|null}) => Promise<void>}} handlers
 */
export function bindSignIn({ locale, onLocale, onEnter }) {
  const form = $("sign-in-form");
  const select = $("locale-select");
  select.replaceChildren(
    ...CENTER_LOCALES.map((code) => {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = CENTER_LANGUAGE_NAMES[code];
      option.lang = code;
      option.selected = code === locale;
      return option;
    }),
  );
  select.addEventListener("change", () => {
    locale = select.value;
    storeLocale(locale);
    onLocale(locale);
  });
  const enter = async (token) => {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    setStatus(ct(locale, "signingIn"));
    // Kept for the tab first (the API client may renew it meanwhile); a refused token is
    // dropped, and another refusal (a citizen's token on the console) gives the tab back
    // the token it held before.
    const before = storedToken();
    storeToken(token);
    try {
      await onEnter({ token, claims: claimsOf(token) });
      applyProfile(token);
    } catch (error) {
      storeToken(error?.status === 401 ? null : before);
      setStatus("");
      showError(errorText(error, locale));
    } finally {
      button.disabled = false;
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const token = $("token-input").value.trim();
    const nameInput = $("name-input");
    const name = nameInput?.value.trim() ?? "";
    if (token) {
      await enter(token);
    } else if (name) {
      try {
        const session = await signInGuest(name, locale);
        await enter(session.token);
      } catch (error) {
        showError(errorText(error, locale));
      }
    } else {
      (nameInput ?? $("token-input")).focus();
      if (!nameInput) $("token-input").closest("details")?.setAttribute("open", "");
    }
  });
  const held = heldToken();
  if (held) enter(held);
}

/** The user's high-contrast and reduced-motion preferences (their profile), if it loads. */
function applyProfile(token) {
  fetchProfile(token)
    .then((profile) => applyPreferences(profile))
    .catch(() => applyPreferences(null));
}

/** Forget the tab's token and start again. */
export function signOut() {
  storeToken(null);
  location.reload();
}

/** The polite status line (#status). */
export function setStatus(text) {
  const status = $("status");
  if (status && status.textContent !== text) status.textContent = text;
}

/** The error region (#error, role=alert): the API's reason, or "" to clear it. */
export function showError(text) {
  const error = $("error");
  if (error && error.textContent !== text) error.textContent = text;
}

/**
 * Run `tick` now and then every `intervalMs` while the page is visible (a hidden tab stops
 * asking; coming back asks at once). Ticks never overlap.
 */
export class Poller {
  constructor(tick, intervalMs) {
    this.#tick = tick;
    this.#interval = intervalMs;
    document.addEventListener("visibilitychange", () => {
      if (!this.#running) return;
      if (document.visibilityState === "visible") this.now();
      else clearTimeout(this.#timer);
    });
  }

  #tick;
  #interval;
  #timer = 0;
  #running = false;
  #busy = null;
  #again = false;

  start() {
    this.#running = true;
    this.now();
  }

  stop() {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  /** Ask now (after an action), then go on at the usual pace; resolves once asked. */
  now() {
    clearTimeout(this.#timer);
    if (this.#busy) {
      this.#again = true;
      return this.#busy;
    }
    this.#busy = this.#run();
    return this.#busy;
  }

  async #run() {
    do {
      this.#again = false;
      if (!this.#running) break;
      try {
        await this.#tick();
      } catch {
        // the tick reports its own errors
      }
    } while (this.#again);
    this.#busy = null;
    clearTimeout(this.#timer);
    if (this.#running && document.visibilityState !== "hidden") {
      this.#timer = setTimeout(() => this.now(), this.#interval);
    }
  }
}

/** A table's rows: replace the <tbody> with one <tr> per row of cells (text or nodes). */
export function fillRows(tbody, rows) {
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      cells.forEach((cell, index) => {
        const td = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) td.scope = "row";
        if (cell instanceof Node) td.append(cell);
        else td.textContent = String(cell);
        tr.append(td);
      });
      return tr;
    }),
  );
}

/** A horizontal bar for a share (0..1), hidden from screen readers (the figure is in text). */
export function meter(share) {
  const track = document.createElement("span");
  track.className = "meter";
  track.setAttribute("aria-hidden", "true");
  const fill = document.createElement("span");
  fill.className = "meter-fill";
  fill.style.width = `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`;
  track.append(fill);
  return track;
}
