// Every string of the client exists in every language it offers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { KEYS, LOCALES, TABLE, guessLocale, t } from "../src/i18n.js";
import { CLOSE_MESSAGE_KEYS } from "../src/net/connection.js";

test("every key has every locale, non-empty", () => {
  for (const key of KEYS) {
    for (const locale of LOCALES) {
      assert.ok(TABLE[key][locale]?.trim(), `${key} has no ${locale} text`);
    }
  }
});

test("every close message the connection can name is translated", () => {
  for (const key of new Set(Object.values(CLOSE_MESSAGE_KEYS))) {
    assert.ok(KEYS.includes(key), `missing i18n key ${key}`);
  }
});

test("placeholders are filled and unknown keys fall back to themselves", () => {
  assert.equal(t("en", "metresAway", { n: 12 }), "12 m away");
  assert.equal(t("ko", "metresAway", { n: 3 }), "3m 거리");
  assert.equal(t("ja", "no-such-key"), "no-such-key");
});

test("the browser's language picks the locale, Korean when none match", () => {
  assert.equal(guessLocale(["ja-JP", "en"]), "ja");
  assert.equal(guessLocale(["zh_TW"]), "zh");
  assert.equal(guessLocale(["fr-FR", "de"]), "ko");
  assert.equal(guessLocale([]), "ko");
});
