// The sign-in form both pages share: the language picker, a guest name or a staff token,
// and entering at once with the token this tab already holds (a reload resumes the avatar).
import { applyLocale, fillLocaleSelect } from "./page.js";
import { Visit } from "./visit.js";

/**
 * Wire the page's #sign-in-form.
 * @param {string} locale the language to start in
 * @param {{onLocale: (locale: string) => void, onEnter: (who: object) => void}} handlers
 */
export function bindSignIn(locale, { onLocale, onEnter }) {
  const byId = (id) => document.getElementById(id);
  applyLocale(locale);
  fillLocaleSelect(byId("locale-select"), locale);
  byId("locale-select").addEventListener("change", (event) => {
    locale = event.target.value;
    applyLocale(locale);
    onLocale(locale);
  });
  byId("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    // A staff member pastes the token `plaza token` (or the city's sign-in) gave them;
    // everyone else enters as a guest with a name.
    const token = byId("token-input").value.trim();
    const name = byId("name-input").value.trim();
    if (token) onEnter({ token, locale });
    else if (name) onEnter({ name, locale });
    else byId("name-input").focus();
  });
  const held = Visit.heldToken();
  if (held) onEnter({ token: held });
}
