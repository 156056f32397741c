// Small DOM builders for the zone panels both pages share. Text always goes in as
// textContent, never as HTML. Labels and buttons that say a fixed word carry data-i18n, so
// page.js applyLocale() translates them with the rest of the page.
import { t } from "../i18n.js";

let serial = 0;

/** A page-unique id for a control and its label. */
export function uid(prefix) {
  serial += 1;
  return `${prefix}-${serial}`;
}

/**
 * An element: `props` sets properties (`class`, `text`, `i18n` a key drawn in `locale`, any
 * `aria-*`, `role`, `for` or `data-*` attribute, `on<event>` listeners, else a property).
 * @param {string} tag
 * @param {object} [props]
 * @param {...(Node|string|null|undefined|false)} children
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "i18n") {
      node.dataset.i18n = value[0];
      node.textContent = t(value[1], value[0]);
    } else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "for" || name === "role" || name.startsWith("aria-") || name.startsWith("data-")) {
      node.setAttribute(name, String(value));
    } else node[name] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** A heading of `level` (2 … 6) with a fixed i18n key. */
export function heading(level, key, locale, props = {}) {
  return el(`h${Math.min(6, Math.max(2, level))}`, { ...props, i18n: [key, locale] });
}

/**
 * A labelled text control in a paragraph: an <input> or, with `rows`, a <textarea>.
 * @returns {{row: HTMLElement, control: HTMLInputElement|HTMLTextAreaElement}}
 */
export function textField(prefix, key, locale, { maxLength, rows = 0, required = true } = {}) {
  const id = uid(prefix);
  const control = rows
    ? el("textarea", { id, rows, maxLength, required })
    : el("input", { id, type: "text", maxLength, required, autocomplete: "off" });
  const label = el("label", { for: id, i18n: [key, locale] });
  return { row: el("p", { class: "field" }, label, " ", control), control };
}

/** A button with a fixed i18n key (type "button" unless given). */
export function button(key, locale, props = {}) {
  return el("button", { type: "button", ...props, i18n: [key, locale] });
}

/** A polite note under a form: what became of the last request. */
export function note() {
  return el("p", { class: "form-note", role: "status" });
}

/** Show `text` in a note (empty hides it), marked as a refusal when `refused`. */
export function say(noteElement, text, refused = false) {
  noteElement.textContent = text;
  noteElement.classList.toggle("refused", Boolean(text) && refused);
}
