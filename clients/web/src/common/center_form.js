// "Take a number" in the 120 Center's panel (center.js): the queue, what the matter is, the
// needs (sign language, easy language, large text) and, outside staffed hours, the phone
// number for a callback; sending it takes the number. Shown only while the citizen has no
// open ticket (one at a time); what is typed is kept in the desk's `draft`.
import { t } from "../i18n.js";
import {
  MAX_CONTACT_CHARS,
  MAX_DESCRIPTION_CHARS,
  callbackOnly,
  categoryText,
  isOpen,
  isTicketKey,
  needText,
  newTicketKey,
  takeRequest,
} from "./center_model.js";
import { button, el, heading, note, say, uid } from "./dom.js";

/** The queues and needs of docs/center120.md, offered until the center's own list arrives. */
const DEFAULT_CATEGORIES = Object.freeze(["transport", "tax", "welfare", "housing", "other"]);
const DEFAULT_NEEDS = Object.freeze(["sign_language", "easy_language", "large_text"]);

export class TakeForm {
  /**
   * @param {import("./center.js").CenterDesk} desk
   * @param {string} locale
   * @param {number} level the heading level of the form's title
   */
  constructor(desk, locale, level) {
    this.desk = desk;
    const draft = desk.draft;
    this.title = heading(level, "centerTake", locale);
    const categoryId = uid("center-category");
    const category = el("select", {
      id: categoryId,
      required: true,
      onchange: () => {
        draft.category = category.value;
      },
    });
    const descriptionId = uid("center-description");
    const description = el("textarea", {
      id: descriptionId,
      rows: 3,
      maxLength: MAX_DESCRIPTION_CHARS,
      required: true,
      value: draft.description,
      oninput: () => {
        draft.description = description.value;
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
      value: draft.contact,
      oninput: () => {
        draft.contact = contact.value;
      },
    });
    const callbackHint = el("p", { class: "zone-hint", i18n: ["centerCallbackHint", locale] });
    const callback = el(
      "div",
      { class: "center-callback" },
      callbackHint,
      el("p", { class: "field" }, el("label", { for: contactId, i18n: ["centerContact", locale] }), " ", contact),
    );
    this.submit = button("centerTakeButton", locale, { type: "submit" });
    this.status = note();
    this.root = el(
      "form",
      { class: "zone-form center-take", noValidate: true },
      this.title,
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
      el("p", {}, this.submit),
      this.status,
    );
    this.root.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!desk.busy.has("take")) this.#take();
    });
    this.category = category;
    this.description = description;
    this.needs = needs;
    this.callback = callback;
    this.contact = contact;
    /** The locale and lists the choices were last drawn for. */
    this.signature = null;
    this.fillChoices(locale);
  }

  /** The category options and the needs' boxes, from the center's lists (kept choices stay). */
  fillChoices(locale) {
    const { info, draft } = this.desk;
    const categories = Array.isArray(info?.categories) ? info.categories : DEFAULT_CATEGORIES;
    const needs = Array.isArray(info?.needs) ? info.needs : DEFAULT_NEEDS;
    // Drawn again only when the lists change, not with every queue's news: a focused box
    // keeps its focus.
    const signature = JSON.stringify([locale, categories, needs]);
    if (this.signature === signature) return;
    this.signature = signature;
    if (draft.category && !categories.includes(draft.category)) draft.category = "";
    this.category.replaceChildren(
      el("option", { value: "", text: "—" }),
      ...categories.map((name) =>
        el("option", { value: name, text: categoryText(locale, name), selected: name === draft.category }),
      ),
    );
    this.category.value = draft.category;
    this.needs.replaceChildren(
      ...needs.map((need) => {
        const id = uid("center-need");
        const box = el("input", {
          id,
          type: "checkbox",
          value: need,
          checked: draft.needs.has(need),
          onchange: () => {
            if (box.checked) draft.needs.add(need);
            else draft.needs.delete(need);
          },
        });
        return el("p", { class: "center-need" }, box, el("label", { for: id, text: needText(locale, need) }));
      }),
    );
  }

  /** Empty what was typed once the number is taken (the queue stays chosen). */
  clear() {
    this.description.value = "";
    this.contact.value = "";
    for (const box of this.needs.querySelectorAll("input")) box.checked = false;
  }

  update(locale) {
    const desk = this.desk;
    // One open ticket at a time: the form comes back when it is over.
    this.root.hidden = isOpen(desk.ticket);
    const callback = callbackOnly(desk.info);
    this.callback.hidden = !callback;
    this.contact.required = callback;
    const titleKey = callback ? "centerTakeCallback" : "centerTake";
    const buttonKey = callback ? "centerCallbackButton" : "centerTakeButton";
    this.title.dataset.i18n = titleKey;
    this.title.textContent = t(locale, titleKey);
    this.submit.dataset.i18n = buttonKey;
    this.submit.textContent = t(locale, buttonKey);
    this.submit.disabled = desk.busy.has("take");
  }

  async #take() {
    const desk = this.desk;
    const status = this.status;
    const locale = desk.locale();
    // One key per number the citizen means to take, the same on every retry of it.
    if (!isTicketKey(desk.takeKey)) desk.takeKey = newTicketKey();
    const form = { ...desk.draft, needs: [...desk.draft.needs] };
    const request = takeRequest(form, desk.takeKey, callbackOnly(desk.info));
    if (request.error) {
      say(status, t(locale, request.error), true);
      return;
    }
    const result = await desk.request("take", "center.take", request.data, status);
    if (!result.ok) return; // the key stays: pressing again retries the same number
    desk.takeKey = null;
    Object.assign(desk.draft, { description: "", contact: "", needs: new Set() });
    // The panel may have been drawn again while the request was on its way (another
    // language): the form and the ticket shown now are the ones to tell.
    desk.views.form.clear();
    desk.setTicket(result.detail);
    // The form goes away with an open ticket: the news is told next to the ticket.
    say(desk.views.ticket.status, t(desk.locale(), "centerTaken", { number: result.detail?.id ?? "" }));
  }
}
