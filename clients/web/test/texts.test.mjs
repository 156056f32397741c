// Texts in several languages (src/common/texts.js): which one a reader sees, the locale map
// a post sends, the zones' refusals in the reader's language, clock times.
import assert from "node:assert/strict";
import { test } from "node:test";

import { KEYS } from "../src/i18n.js";
import { clockTime, jsonBytes, localeMap, pickText, refusalKey } from "../src/common/texts.js";

test("a reader sees their language, else English, else Korean", () => {
  const map = { ko: "덕수궁", en: "Deoksugung Palace", ja: "徳寿宮" };
  assert.equal(pickText(map, "ja"), "徳寿宮");
  assert.equal(pickText(map, "zh"), "Deoksugung Palace");
  assert.equal(pickText({ ko: "분실물" }, "en"), "분실물");
  assert.equal(pickText({ zh: "公告" }, "zh-Hant"), "公告");
  assert.equal(pickText({ fr: "Avis" }, "ja"), "Avis");
  assert.equal(pickText({ ja: "  ", ko: "알림" }, "ja"), "알림");
  assert.equal(pickText(null, "ko"), "");
});

test("a post carries the writer's language and Korean", () => {
  assert.deepEqual(localeMap("ko", " 새해 타종 "), { ko: "새해 타종" });
  assert.deepEqual(localeMap("en", "Lost and found"), { en: "Lost and found", ko: "Lost and found" });
  assert.deepEqual(localeMap("ja", "お知らせ"), { ja: "お知らせ", ko: "お知らせ" });
  assert.equal(jsonBytes({ ko: "가" }), 12); // {"ko":"가"}: 9 bytes of ASCII and 3 of UTF-8
});

test("the zones' refusals are worded in the reader's language", () => {
  const cases = {
    "you have already voted in this poll": "refusedAlreadyVoted",
    "sign in as a citizen to vote": "refusedCitizenOnly",
    "sign in as a citizen to submit proposals": "refusedCitizenOnly",
    "at most 3 proposals a day; thank you, try again tomorrow": "refusedDailyLimit",
    "this poll is closed": "refusedPollClosed",
    "posting a notice needs the staff role": "refusedStaffOnly",
    "walk to a bus stop first": "refusedWalkToStop",
    "the bus is not at this stop": "refusedBusElsewhere",
    "already on the bus": "refusedOnBus",
    "the bus is full": "refusedBusFull",
    "the tour is full": "refusedTourFull",
  };
  for (const [reason, key] of Object.entries(cases)) {
    assert.equal(refusalKey(reason), key, reason);
    assert.ok(KEYS.includes(key), `missing i18n key ${key}`);
  }
  assert.equal(refusalKey("option: no such option in this poll"), null);
  assert.equal(refusalKey(undefined), null);
});

test("clock times are hh:mm:ss on a 24-hour clock", () => {
  const seconds = new Date(2026, 0, 2, 15, 4, 5).getTime() / 1000;
  assert.equal(clockTime(seconds, "en"), "15:04:05");
  assert.match(clockTime(seconds, "ko"), /15:04:05/);
});
