// The words the staff pages (the 120 Center's pages, the organizer console) have in common:
// page chrome, signing in and the errors of any call, in Korean (first) and English. Kept
// once so the pages cannot drift apart in how they say the same thing; each page's texts.js
// merges these under its own and keeps its own lookup. Pure: no DOM.

/** Languages the staff pages are written in, in the order the picker offers them. */
export const PAGE_LOCALES = Object.freeze(["ko", "en"]);

/** Each language's own name, for the picker. */
export const PAGE_LANGUAGE_NAMES = Object.freeze({ ko: "한국어", en: "English" });

/** The texts every staff page uses with the same words; a page's own table may add to them. */
export const PAGE_STRINGS = Object.freeze({
  // Page chrome.
  skipToContent: { ko: "본문으로 건너뛰기", en: "Skip to content" },
  navLabel: { ko: "바로가기", en: "Links" },
  link2d: { ko: "2D 광장", en: "2D plaza" },
  link3d: { ko: "3D 광장", en: "3D plaza" },
  language: { ko: "언어", en: "Language" },
  updatedAt: { ko: "{time}에 갱신", en: "Updated at {time}" },
  none: { ko: "없음", en: "None" },
  dash: { ko: "—", en: "—" },

  // Signing in.
  signIn: { ko: "로그인", en: "Sign in" },
  signOut: { ko: "로그아웃", en: "Sign out" },
  signingIn: { ko: "로그인 중…", en: "Signing in…" },

  // What went wrong with a call (session.js ApiError).
  expired: { ko: "로그인이 만료되었습니다. 다시 로그인하세요", en: "Your sign-in expired. Please sign in again" },
  networkError: {
    ko: "서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요",
    en: "The server cannot be reached. Please try again shortly",
  },
  unavailable: {
    ko: "지금은 저장할 수 없습니다(데이터베이스 점검 중). 잠시 후 다시 시도하세요",
    en: "Nothing could be saved just now (the database is away). Please try again shortly",
  },
});

/** A staff page's language for a client locale: Korean, or English for every other. */
export function pageLocale(locale) {
  return String(locale ?? "").toLowerCase().startsWith("ko") ? "ko" : "en";
}

/**
 * The text for `key` of `table` in `locale`, with `{name}` placeholders filled from
 * `values`. Languages other than Korean read the English, since the pages are written in
 * those two only; an entry without it falls back to Korean, and an unknown key shows as
 * itself so a missing text is visible rather than blank.
 * @param {Record<string, {ko: string, en?: string}>} table
 * @param {string} locale
 * @param {string} key
 * @param {Record<string, string|number>} [values]
 */
export function pageText(table, locale, key, values = {}) {
  const entry = Object.hasOwn(table, key) ? table[key] : null;
  let text = entry ? (entry[pageLocale(locale)] ?? entry.ko) : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}
