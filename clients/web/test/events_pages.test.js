// The organizer console's DOM-free parts (src/events_pages/): ISO 8601 times with their
// offset from date-time fields, countdowns, the next midnight in Seoul and the moment
// presets, the server clock from `Date` headers, request bodies, idempotency keys for
// sanctions, error texts, and the HTTP client against a fake fetch.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, EventsApi } from "../src/events_pages/api.js";
import {
  ActionKeys,
  BELL_PRESET,
  KST_OFFSET_MIN,
  MIN_LEAD_S,
  QUICK_LEAD_S,
  ServerClock,
  actionError,
  changedFields,
  clockIn,
  countdownTarget,
  countdownText,
  errorText,
  eventState,
  inputToSeconds,
  isoWithOffset,
  kindLabel,
  localInputToIso,
  localInputValue,
  momentBody,
  momentEnd,
  momentPreset,
  nextMidnight,
  offsetName,
  parsePerformers,
  pickEvent,
  pickText,
  repeatsText,
  sanctionMinutes,
  slowSeconds,
  textMap,
  wallToIso,
} from "../src/events_pages/format.js";
import { EVENTS_KEYS, EVENTS_TABLE, et, eventsLocale } from "../src/events_pages/texts.js";

// 2027-01-01T00:00:00+09:00, the New Year's bell.
const NEW_YEAR_KST = Date.UTC(2026, 11, 31, 15, 0, 0) / 1000;

test("every text is written in Korean and English, with the same placeholders", () => {
  for (const key of EVENTS_KEYS) {
    const { ko, en } = EVENTS_TABLE[key];
    assert.ok(ko && en, key);
    const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(holes(ko), holes(en), key);
  }
  assert.equal(eventsLocale("ko-KR"), "ko");
  assert.equal(eventsLocale("ja"), "en");
  assert.equal(et("en", "inGrounds", { n: 12 }), "12 in the festival grounds");
  assert.equal(et("ko", "inGrounds", { n: 12 }), "축제 마당에 12명");
  assert.equal(et("en", "no_such_key"), "no_such_key");
});

test("instants are written as ISO 8601 with their offset", () => {
  assert.equal(isoWithOffset(NEW_YEAR_KST * 1000, KST_OFFSET_MIN), "2027-01-01T00:00:00+09:00");
  assert.equal(isoWithOffset(NEW_YEAR_KST * 1000, 0), "2026-12-31T15:00:00+00:00");
  assert.equal(isoWithOffset(NEW_YEAR_KST * 1000, -300), "2026-12-31T10:00:00-05:00");
  assert.equal(isoWithOffset(NEW_YEAR_KST * 1000 + 250, 330), "2026-12-31T20:30:00.250+05:30");
  assert.equal(Date.parse(isoWithOffset(1798729812345, 540)), 1798729812345);
  assert.equal(offsetName(540), "UTC+09:00");
  assert.equal(offsetName(-210), "UTC-03:30");
});

test("a wall-clock value read in a fixed offset", () => {
  assert.equal(wallToIso("2026-12-31T23:30", KST_OFFSET_MIN), "2026-12-31T23:30:00+09:00");
  assert.equal(wallToIso("2027-01-01T00:00:05", KST_OFFSET_MIN), "2027-01-01T00:00:05+09:00");
  assert.equal(wallToIso("2026-12-31T23:30:00.5", -300), "2026-12-31T23:30:00.500-05:00");
  assert.equal(Date.parse(wallToIso("2027-01-01T00:00", 540)), NEW_YEAR_KST * 1000);
  for (const bad of ["", "tomorrow", "2026-13-01T00:00", "2026-12-31 23:30", "2026-12-31T24:00", null]) {
    assert.equal(wallToIso(bad, 540), null, String(bad));
  }
});

test("date-time fields are read in the browser's time zone and sent with its offset", () => {
  const value = "2026-12-31T23:30";
  const iso = localInputToIso(value);
  assert.match(iso, /^2026-12-31T23:30:00[+-]\d{2}:\d{2}$/);
  // The same instant as the browser's own reading of that wall time.
  assert.equal(Date.parse(iso), new Date(2026, 11, 31, 23, 30).getTime());
  assert.equal(inputToSeconds(value), new Date(2026, 11, 31, 23, 30).getTime() / 1000);
  assert.equal(inputToSeconds(""), null);
  assert.equal(localInputToIso("nope"), null);
  // And back: a time shown in a field reads as the same instant.
  const at = NEW_YEAR_KST + 37;
  assert.equal(inputToSeconds(localInputValue(at)), at);
  assert.match(localInputValue(at), /:37$/);
  assert.doesNotMatch(localInputValue(NEW_YEAR_KST), /T\d{2}:\d{2}:\d{2}$/);
  assert.match(localInputValue(NEW_YEAR_KST, { seconds: true }), /T\d{2}:\d{2}:00$/);
  assert.equal(localInputValue(null), "");
});

test("countdowns read minutes and seconds, then hours, then days; rounded up", () => {
  assert.equal(countdownText(0), "00:00");
  assert.equal(countdownText(-3), "00:00");
  assert.equal(countdownText(0.2), "00:01");
  assert.equal(countdownText(5), "00:05");
  assert.equal(countdownText(59.01), "01:00");
  assert.equal(countdownText(83), "01:23");
  assert.equal(countdownText(3600), "1:00:00");
  assert.equal(countdownText(3723), "1:02:03");
  assert.equal(countdownText(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2d 03:04:05");
  assert.equal(countdownText(86400, "ko"), "1일 00:00:00");
  assert.equal(countdownText(Number.NaN), "00:00");
});

test("the next midnight in Seoul, at least the minimum lead ahead", () => {
  assert.equal(nextMidnight(NEW_YEAR_KST - 3600), NEW_YEAR_KST);
  assert.equal(nextMidnight(NEW_YEAR_KST - 86400 + 1), NEW_YEAR_KST);
  assert.equal(nextMidnight(NEW_YEAR_KST), NEW_YEAR_KST + 86400);
  assert.equal(nextMidnight(NEW_YEAR_KST - 1), NEW_YEAR_KST + 86400, "too late for this one");
  assert.equal(nextMidnight(NEW_YEAR_KST - MIN_LEAD_S), NEW_YEAR_KST);
  assert.equal(clockIn(NEW_YEAR_KST), "00:00:00");
  assert.equal(clockIn(NEW_YEAR_KST + 5 * 3600 + 62), "05:01:02");
  assert.equal(nextMidnight(NEW_YEAR_KST - 3600, 0), NEW_YEAR_KST + 9 * 3600);
});

test("moment presets: fireworks and lights in 5 s, the bell from midnight KST", () => {
  const now = NEW_YEAR_KST - 600.4;
  assert.deepEqual(momentPreset("fireworks", now), {
    kind: "fireworks",
    at: Math.ceil(now) + QUICK_LEAD_S,
    count: 1,
    every_s: 0,
  });
  assert.equal(momentPreset("lights", now).kind, "lights");
  const bell = momentPreset("bell", now);
  assert.deepEqual(bell, { kind: "bell", count: 33, every_s: 2.5, at: NEW_YEAR_KST });
  assert.equal(BELL_PRESET.count, 33);
  assert.equal(momentEnd(bell), NEW_YEAR_KST + 80);
  assert.throws(() => momentPreset("confetti", now));
  // As sent: ISO with the offset asked for, the label only with text.
  assert.deepEqual(momentBody({ ...bell, event: 3, label: { ko: "타종", en: " " } }, KST_OFFSET_MIN), {
    event: 3,
    kind: "bell",
    at: "2027-01-01T00:00:00+09:00",
    count: 33,
    every_s: 2.5,
    label: { ko: "타종" },
  });
  const quick = momentBody({ ...momentPreset("fireworks", now), event: 3 });
  assert.equal(Date.parse(quick.at) / 1000, Math.ceil(now) + QUICK_LEAD_S);
  assert.equal("label" in quick, false);
  assert.equal(repeatsText(bell, "en"), "33 × every 2.5 s");
  assert.equal(repeatsText({ count: 1 }, "ko"), "1번");
  assert.equal(kindLabel("fireworks", "ko"), "불꽃놀이");
  assert.equal(kindLabel("laser", "en"), "laser");
});

test("the big countdown counts to the next countdown, else the next moment", () => {
  const moments = [
    { id: 1, kind: "fireworks", at: 100, count: 1, every_s: 0 },
    { id: 2, kind: "countdown", at: 200, count: 1, every_s: 0 },
    { id: 3, kind: "bell", at: 190, count: 33, every_s: 2.5 },
    { id: 4, kind: "countdown", at: 150, count: 1, every_s: 0, cancelled: true },
  ];
  assert.equal(countdownTarget(moments, 10).id, 2);
  assert.equal(countdownTarget(moments, 205).id, 2, "its Now! stays a few seconds");
  assert.equal(countdownTarget(moments, 211).id, 3, "then the bell, still ringing");
  assert.equal(countdownTarget(moments, 500), null);
  assert.equal(countdownTarget([], 0), null);
});

test("the server clock: Date headers bound the offset, more answers narrow it", () => {
  const clock = new ServerClock();
  assert.equal(clock.known, false);
  assert.equal(clock.errorMs, Number.POSITIVE_INFINITY);
  assert.equal(clock.offsetMs, 0);
  // The server is 5.3 s ahead; answers take 40 ms; the Date header has whole seconds.
  const trueOffset = 5300;
  const answer = (sent) => {
    const serverAt = sent + 20 + trueOffset;
    return [new Date(Math.floor(serverAt / 1000) * 1000).toUTCString(), sent, sent + 40];
  };
  assert.equal(clock.sample(...answer(1_000_000)), true);
  assert.ok(clock.errorMs <= 520 && clock.errorMs >= 500, clock.errorMs);
  const [low, high] = clock.bounds;
  assert.ok(low <= trueOffset && trueOffset <= high);
  for (let sent = 1_002_000; sent < 1_040_000; sent += 2_000 + 137) clock.sample(...answer(sent));
  assert.ok(Math.abs(clock.offsetMs - trueOffset) < 60, clock.offsetMs);
  assert.ok(clock.errorMs < 60, clock.errorMs);
  assert.ok(Math.abs(clock.nowS(2_000_000) - (2_000_000 + trueOffset) / 1000) < 0.06);
  // The local clock is set back 10 minutes: the new answers win over the old ones.
  for (let sent = 400_000; sent < 420_000; sent += 2_000 + 71) {
    const serverAt = sent + 600_000 + 20 + trueOffset;
    clock.sample(new Date(Math.floor(serverAt / 1000) * 1000).toUTCString(), sent, sent + 40);
  }
  const [lowAfter, highAfter] = clock.bounds;
  assert.ok(lowAfter <= 600_000 + trueOffset && 600_000 + trueOffset <= highAfter, clock.bounds);
  assert.ok(clock.errorMs < 300, clock.errorMs);
  // Nonsense is not used.
  assert.equal(clock.sample(null, 0, 10), false);
  assert.equal(clock.sample("not a date", 0, 10), false);
  assert.equal(clock.sample(Date.now(), 10, 5), false);
});

test("request bodies from the forms", () => {
  assert.deepEqual(textMap({ ko: " 보신각 타종 ", en: "", ja: "  ", zh: "普信阁" }), { ko: "보신각 타종", zh: "普信阁" });
  assert.equal(textMap({ ko: "", en: "" }), null);
  assert.equal(textMap(undefined), null);
  assert.deepEqual(parsePerformers("local:drummer, local:singer\nlocal:drummer  guest:1"), [
    "local:drummer",
    "local:singer",
    "guest:1",
  ]);
  assert.deepEqual(parsePerformers("  "), []);
  const before = { title: { ko: "가" }, capacity: 10, performers: ["a"] };
  assert.deepEqual(changedFields(before, { title: { ko: "가" }, capacity: 20, performers: ["a"] }), { capacity: 20 });
  assert.deepEqual(changedFields(before, { ...before }), {});
  assert.equal(slowSeconds("0"), 0);
  assert.equal(slowSeconds(" 30 "), 30);
  assert.equal(slowSeconds("600"), 600);
  for (const bad of ["601", "-1", "2.5", "", "ten"]) assert.equal(slowSeconds(bad), null, bad);
  assert.equal(sanctionMinutes(""), null);
  assert.equal(sanctionMinutes("60"), 60);
  for (const bad of ["0", "1.5", "x", "5256001"]) assert.ok(Number.isNaN(sanctionMinutes(bad)), bad);
});

test("events: their phase, the one to run, titles in the reader's language", () => {
  const events = [
    { id: 1, starts_at: 100, ends_at: 200, title: { ko: "타종", en: "Bell" } },
    { id: 2, starts_at: 300, ends_at: 400, title: { ko: "등불" } },
  ];
  assert.equal(eventState(events[0], 50), "upcoming");
  assert.equal(eventState(events[0], 150), "live");
  assert.equal(eventState(events[0], 200), "over");
  assert.equal(pickEvent(events, 2, 150).id, 2, "the chosen one");
  assert.equal(pickEvent(events, 9, 150).id, 1, "else the live one");
  assert.equal(pickEvent(events, null, 250).id, 1, "else the soonest");
  assert.equal(pickEvent([], null, 0), null);
  assert.equal(pickText(events[0].title, "en"), "Bell");
  assert.equal(pickText(events[0].title, "ja"), "Bell");
  assert.equal(pickText(events[1].title, "en"), "등불");
  assert.equal(pickText(null, "en"), "");
});

test("one idempotency key per sanction meant, kept for a retry after a network error", () => {
  let n = 0;
  const keys = new ActionKeys(() => `key${++n}`);
  const ban = { kind: "ban", subject: "local:troll", reason: "spam", minutes: null };
  assert.equal(keys.keyFor(ban), "key1");
  keys.settle(new ApiError(0, "network_error", "down"));
  assert.equal(keys.keyFor(ban), "key1", "the same ban again: the same key");
  keys.settle(new ApiError(503, "database_unavailable", "later"));
  assert.equal(keys.keyFor({ ...ban, kind: "mute" }), "key2", "another action: a new key");
  keys.settle(null);
  assert.equal(keys.keyFor({ ...ban, kind: "mute" }), "key3", "done: the next press is a new action");
  keys.settle(new ApiError(400, "bad_request", "no"));
  assert.equal(keys.keyFor({ ...ban, kind: "mute" }), "key4");
});

test("error texts carry the API's reason; a missing route says the server lacks it", () => {
  const reason = "capacity 5 is below the 9 people in the grounds now";
  assert.equal(errorText(new ApiError(409, "conflict", reason), "en"), reason);
  assert.equal(
    actionError("capacity", new ApiError(409, "conflict", reason), "en"),
    `Setting the capacity failed: ${reason}`,
  );
  const missing = errorText(new ApiError(404, "not_found", "no route for /api/events/announce"), "en");
  assert.match(missing, /does not offer this yet/);
  assert.match(missing, /no route for \/api\/events\/announce/);
  assert.equal(errorText(new ApiError(404, "not_found", "no event 9"), "en"), "no event 9");
  assert.match(errorText(new ApiError(503, "database_unavailable", "slow; nothing was saved"), "ko"), /데이터베이스.*nothing was saved/);
  assert.match(errorText(new ApiError(0, "network_error", "Failed to fetch"), "en"), /cannot be reached/);
  assert.match(errorText(new ApiError(401, "unauthorized", "token expired"), "en"), /expired/);
  assert.match(actionError("ban", new ApiError(403, "forbidden", "a ban needs the admin or moderator role; you are organizer"), "ko"), /^접속 차단 실패: a ban needs/);
});

function fakeFetch(answers, seen) {
  return async (path, init) => {
    seen.push({ path, init });
    const { status = 200, body = {}, date = "Thu, 31 Dec 2026 14:59:50 GMT" } = answers.shift() ?? {};
    return {
      ok: status >= 200 && status < 300,
      status,
      headers: new Map([["date", date]]),
      text: async () => (body === null ? "" : JSON.stringify(body)),
    };
  };
}

test("the HTTP client: bodies, the token, idempotency keys, the clock and refusals", async () => {
  const seen = [];
  let now = 1_000_000;
  const api = new EventsApi("tok", {
    fetch: fakeFetch(
      [
        { status: 201, body: { id: 7, kind: "countdown" } },
        { status: 201, body: { id: 1, kind: "ban" } },
        { status: 404, body: { error: "not_found", reason: "no route for /api/events/announce" } },
        { status: 200, body: { zone: "festival", seconds: 10 } },
        { status: 200, body: { moments: [{ id: 7 }] } },
      ],
      seen,
    ),
    remember: false,
    now: () => (now += 40),
  });
  const moment = await api.scheduleMoment({ event: 3, kind: "countdown", at: "2027-01-01T00:00:00+09:00" });
  assert.equal(moment.id, 7);
  assert.equal(seen[0].path, "/api/events/moments");
  assert.equal(seen[0].init.method, "POST");
  assert.equal(seen[0].init.headers.Authorization, "Bearer tok");
  assert.deepEqual(JSON.parse(seen[0].init.body), { event: 3, kind: "countdown", at: "2027-01-01T00:00:00+09:00" });
  assert.equal(api.clock.known, true);
  assert.ok(Math.abs(api.clock.nowS(1_000_040) - Date.parse("Thu, 31 Dec 2026 14:59:50 GMT") / 1000) < 1);

  await api.sanction({ kind: "ban", subject: "local:troll", reason: "spam", minutes: null }, "k1");
  assert.equal(seen[1].init.headers["Idempotency-Key"], "k1");
  assert.deepEqual(JSON.parse(seen[1].init.body), { kind: "ban", subject: "local:troll", reason: "spam" });

  await assert.rejects(api.announce({ ko: "안내" }), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    assert.equal(error.reason, "no route for /api/events/announce");
    return true;
  });
  assert.deepEqual(JSON.parse(seen[2].init.body), { text: { ko: "안내" } });
  assert.deepEqual(await api.slowMode(10), { zone: "festival", seconds: 10 });
  assert.deepEqual(JSON.parse(seen[3].init.body), { seconds: 10 });
  assert.deepEqual(await api.moments(), [{ id: 7 }]);
  assert.equal(seen[4].init.method, "GET");

  const down = new EventsApi("tok", {
    fetch: async () => {
      throw new TypeError("Failed to fetch");
    },
    remember: false,
  });
  await assert.rejects(down.events(), (error) => error.status === 0 && /Failed to fetch/.test(error.reason));
});
