// Page chrome shared by the 3D and 2D pages: the language of every labelled element, the
// language pickers, and the accessibility preferences as classes on <html>.
import { LANGUAGE_NAMES, LOCALES, guessLocale, t } from "../i18n.js";
import { storeLocale, storedLocale } from "../session.js";

/** The language to start in: the one chosen on this device, else the browser's. */
export function initialLocale() {
  const stored = storedLocale();
  return LOCALES.includes(stored) ? stored : guessLocale();
}

/** Translate every [data-i18n] element and set <html lang>. */
export function applyLocale(locale) {
  document.documentElement.lang = locale;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(locale, element.dataset.i18n);
  }
  storeLocale(locale);
}

/** Fill a <select> with the languages, each in its own name. */
export function fillLocaleSelect(select, locale) {
  select.replaceChildren(
    ...LOCALES.map((code) => {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = LANGUAGE_NAMES[code];
      option.lang = code;
      option.selected = code === locale;
      return option;
    }),
  );
}

/** Apply the profile's high-contrast and reduced-motion preferences to the page. */
export function applyPreferences(profile) {
  const root = document.documentElement.classList;
  root.toggle("high-contrast", Boolean(profile?.high_contrast));
  const reduced =
    Boolean(profile?.reduced_motion) ||
    Boolean(globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches);
  root.toggle("reduced-motion", reduced);
}

/** Text in the user's language from a layout's locale map (Korean when missing). */
export function localized(map, locale) {
  if (!map) return "";
  return map[locale] ?? map.ko ?? Object.values(map)[0] ?? "";
}

/** Fill a settings form from the profile and save it on submit. */
export function bindSettingsForm(form, visit, { onSaved } = {}) {
  const fill = (profile) => {
    if (!profile) return;
    for (const name of ["captions", "reduced_motion", "high_contrast"]) {
      const input = form.elements.namedItem(name);
      if (input) input.checked = Boolean(profile[name]);
    }
    const select = form.elements.namedItem("locale");
    if (select) fillLocaleSelect(select, profile.locale);
  };
  visit.addEventListener("profile", (event) => fill(event.detail));
  fill(visit.profile);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {
      locale: form.elements.namedItem("locale").value,
      captions: form.elements.namedItem("captions").checked,
      reduced_motion: form.elements.namedItem("reduced_motion").checked,
      high_contrast: form.elements.namedItem("high_contrast").checked,
    };
    const profile = await visit.saveProfile(changes);
    applyPreferences(profile);
    applyLocale(profile.locale);
    onSaved?.(profile);
  });
}

export { t };
