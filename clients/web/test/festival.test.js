// The festival's client rules (src/common/festival_model.js, festival_react.js): the
// reaction allowance, the crowd's counts over the last second and in words, which moments
// and strokes are due at a server time, the countdown before them and what is announced,
// and the schedule in the reader's language and local time.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  COUNTDOWN_LEAD_S,
  LATE_S,
  MomentSchedule,
  ReactionAllowance,
  ReactionMeter,
  checkMoment,
  countdownAt,
  countdownText,
  formatCount,
  intensity,
  momentAnnouncement,
  momentLabel,
  momentSoon,
  reactionSummary,
  scheduleRows,
  secondsLeft,
  startedText,
  strokeTime,
  timeRange,
  stageFloor,
  standingHeight,
} from "../src/common/festival_model.js";
import { sendReaction } from "../src/common/festival_react.js";
import { KEYS } from "../src/i18n.js";

const NOW = 1_798_729_000;
const bell = (fields = {}) => ({
  id: 7,
  event: 3,
  kind: "bell",
  at: NOW + 10,
  label: { ko: "보신각 타종", en: "The Bosingak bell" },
  count: 33,
  every_s: 2,
  cancelled: false,
  ...fields,
});

test("the allowance lets four reactions through in any second, then the next when one is a second old", () => {
  const allowance = new ReactionAllowance();
  const t0 = 100;
  assert.deepEqual([0, 0.1, 0.2, 0.3, 0.4, 0.9].map((dt) => allowance.take(t0 + dt)), [true, true, true, true, false, false]);
  assert.equal(allowance.take(t0 + 1.0), true); // the first is a second old
  assert.equal(allowance.take(t0 + 1.05), false);
  assert.equal(allowance.take(t0 + 1.1), true);
  // Steady presses four a second all go through; five a second do not.
  const steady = new ReactionAllowance();
  const sent = Array.from({ length: 20 }, (_, i) => steady.take(i * 0.25)).filter(Boolean).length;
  assert.equal(sent, 20);
  const fast = new ReactionAllowance();
  const through = Array.from({ length: 25 }, (_, i) => fast.take(i * 0.2)).filter(Boolean).length;
  assert.ok(through <= 4 * 5 + 1 && through < 25, `${through} of 25 in 5 s`);
});

test("the meter sums the last second of STAGE counts, near and in the whole zone", () => {
  const meter = new ReactionMeter();
  meter.add(10.0, [1, 0, 0], [40, 2, 9]);
  meter.add(10.05, [0, 0, 0], [0, 0, 0]); // a tick with nothing: not kept
  meter.add(10.5, [2, 1, 0], [100, 3, 1]);
  assert.deepEqual(meter.totals(10.6), { here: [3, 1, 0], zone: [140, 5, 10] });
  assert.deepEqual(meter.totals(11.2), { here: [2, 1, 0], zone: [100, 3, 1] });
  assert.deepEqual(meter.totals(12), { here: [0, 0, 0], zone: [0, 0, 0] });
  assert.equal(meter.entries.length, 0);
  meter.add(20, [1, "x", -3], null);
  assert.deepEqual(meter.totals(20), { here: [1, 0, 0], zone: [0, 0, 0] });
  meter.clear();
  assert.deepEqual(meter.totals(20), { here: [0, 0, 0], zone: [0, 0, 0] });
});

test("intensity grows on a log scale from nothing to a full meter", () => {
  assert.equal(intensity(0), 0);
  assert.equal(intensity(-5), 0);
  assert.equal(intensity(Number.NaN), 0);
  assert.ok(intensity(1) > 0);
  assert.ok(intensity(10) < intensity(100) && intensity(100) < intensity(1000));
  assert.equal(intensity(9999), 1);
  assert.equal(intensity(1e6), 1);
});

test("the crowd in words, in the reader's digits", () => {
  assert.equal(formatCount(1240, "en"), "1,240");
  assert.equal(reactionSummary("en", { here: [0, 0, 0], zone: [0, 0, 0] }), "The crowd is quiet");
  assert.equal(
    reactionSummary("en", { here: [0, 0, 0], zone: [1240, 30, 12] }),
    "Crowd: 1,240 cheering · 30 clapping · 12 hearts a second",
  );
  assert.equal(
    reactionSummary("en", { here: [3, 0, 1], zone: [1240, 30, 12] }),
    "Crowd: 1,240 cheering · 30 clapping · 12 hearts a second Near you: 3 cheering · 0 clapping · 1 hearts",
  );
  assert.equal(reactionSummary("ko", { here: [0, 0, 0], zone: [5, 0, 0] }), "관객 전체: 환호 5 · 박수 0 · 하트 0 (1초)");
});

test("a moment's strokes are due at `at + i * every_s`, each fired once", () => {
  const schedule = new MomentSchedule();
  schedule.set([bell({ count: 3, every_s: 2 })]);
  assert.deepEqual(schedule.due(NOW + 9.99), []);
  const first = schedule.due(NOW + 10);
  assert.deepEqual(first.map((s) => [s.moment.id, s.index, s.at]), [[7, 0, NOW + 10]]);
  assert.deepEqual(schedule.due(NOW + 10.5), [], "not twice");
  assert.deepEqual(schedule.due(NOW + 11.99), []);
  assert.deepEqual(schedule.due(NOW + 12.01).map((s) => s.index), [1]);
  assert.deepEqual(schedule.due(NOW + 14.2).map((s) => s.index), [2]);
  assert.deepEqual(schedule.due(NOW + 100), [], "no strokes after the last");
  assert.equal(strokeTime(schedule.moments[0], 2), NOW + 14);
});

test("a page that wakes late fires what is just due and skips what is long past", () => {
  const schedule = new MomentSchedule();
  schedule.set([bell({ count: 5, every_s: 1 })]);
  // At +13.2 s strokes 0..3 were due at +10, +11, +12, +13: only those within LATE_S fire.
  const fired = schedule.due(NOW + 13.2);
  assert.deepEqual(fired.map((s) => s.index), [2, 3]);
  assert.ok(fired.every((s) => NOW + 13.2 - s.at <= LATE_S));
  assert.deepEqual(schedule.due(NOW + 14).map((s) => s.index), [4]);
  // A moment learnt of after it fired elsewhere is not fired late.
  const late = new MomentSchedule();
  late.set([bell({ count: 1, every_s: 0, at: NOW - 5 })]);
  assert.deepEqual(late.due(NOW), []);
});

test("a new list replaces the last: cancelled or dropped moments never fire, kept ones do not fire twice", () => {
  const schedule = new MomentSchedule();
  schedule.set([bell({ count: 2, every_s: 5 }), bell({ id: 8, kind: "fireworks", at: NOW + 12, count: 1, every_s: 0 })]);
  assert.deepEqual(schedule.due(NOW + 10).map((s) => s.moment.id), [7]);
  // The organizer cancels the fireworks (the server leaves them out, or flags them).
  schedule.set([bell({ count: 2, every_s: 5 }), bell({ id: 8, kind: "fireworks", at: NOW + 12, cancelled: true })]);
  assert.deepEqual(schedule.due(NOW + 12.5), []);
  schedule.set([bell({ count: 2, every_s: 5 })]);
  assert.deepEqual(schedule.due(NOW + 15).map((s) => [s.moment.id, s.index]), [[7, 1]]);
  schedule.set("nonsense");
  assert.deepEqual(schedule.moments, []);
});

test("moments are checked: repeats need a gap, unknown kinds are cues, bad ones are dropped", () => {
  assert.equal(checkMoment(null), null);
  assert.equal(checkMoment({ id: "1", at: NOW }), null);
  assert.equal(checkMoment({ id: 1, at: "soon" }), null);
  assert.equal(checkMoment(bell({ cancelled: true })), null);
  assert.equal(checkMoment(bell({ every_s: 0 })).count, 1);
  assert.equal(checkMoment(bell({ count: 500 })).count, 108);
  assert.equal(checkMoment(bell({ kind: "confetti" })).kind, "cue");
});

test("the next stroke and the wait for it", () => {
  const schedule = new MomentSchedule();
  assert.equal(schedule.next(NOW), null);
  assert.equal(schedule.wait(NOW), Infinity);
  schedule.set([bell({ count: 3, every_s: 2 }), bell({ id: 9, kind: "lights", at: NOW + 11, count: 1, every_s: 0 })]);
  assert.deepEqual([schedule.next(NOW).moment.id, schedule.next(NOW).index], [7, 0]);
  assert.equal(schedule.wait(NOW), 10);
  schedule.due(NOW + 10);
  const next = schedule.next(NOW + 10.2);
  assert.deepEqual([next.moment.id, next.index, next.at], [9, 0, NOW + 11]);
  schedule.due(NOW + 11);
  assert.deepEqual([schedule.next(NOW + 11).moment.id, schedule.next(NOW + 11).index], [7, 1]);
  assert.ok(Math.abs(schedule.wait(NOW + 11.5) - 0.5) < 1e-9);
});

test("a stroke rung at the bell fires at its time, announced with the ringer, without a countdown", () => {
  const schedule = new MomentSchedule();
  schedule.set([bell({ at: NOW + 60, count: 1, every_s: 0 })]);
  schedule.ring(NOW + 1, "Minji", NOW);
  assert.equal(countdownAt(schedule, NOW), null);
  assert.deepEqual(schedule.due(NOW + 0.5), []);
  const [stroke] = schedule.due(NOW + 1.01);
  assert.deepEqual([stroke.moment.kind, stroke.moment.by, stroke.at], ["bell", "Minji", NOW + 1]);
  assert.equal(momentAnnouncement("en", stroke.moment, 0), "The bell, rung by Minji");
  // A new list of moments keeps the strokes rung; old ones are dropped as new ones come.
  schedule.set([bell({ at: NOW + 60, count: 1, every_s: 0 })]);
  schedule.ring(NOW + 3, "Jun", NOW + 2);
  assert.deepEqual(schedule.moments.map((m) => m.by ?? m.id), ["Minji", "Jun", 7]);
  schedule.ring(NOW + 30, "Ara", NOW + 29);
  assert.deepEqual(schedule.moments.map((m) => m.by ?? m.id), ["Ara", 7]);
  assert.deepEqual(schedule.due(NOW + 3.2), [], "a stroke long sounded is not fired");
  schedule.ring(Number.NaN, "nobody");
  assert.equal(schedule.moments.length, 2);
});

test("the countdown: a countdown moment within the hour, any moment in its last ten seconds", () => {
  const schedule = new MomentSchedule();
  schedule.set([bell({ count: 3, every_s: 2 })]);
  assert.equal(countdownAt(schedule, NOW + 10 - COUNTDOWN_LEAD_S - 0.5), null);
  const shown = countdownAt(schedule, NOW + 0.5);
  assert.deepEqual([shown.seconds, shown.text, shown.moment.id], [10, "10", 7]);
  assert.equal(countdownAt(schedule, NOW + 9.01).text, "1");
  schedule.due(NOW + 10);
  assert.equal(countdownAt(schedule, NOW + 11), null, "later strokes get no countdown");
  const midnight = new MomentSchedule();
  midnight.set([{ id: 1, event: 3, kind: "countdown", at: NOW + 3000, label: {}, count: 1, every_s: 0 }]);
  assert.equal(countdownAt(midnight, NOW).text, "50:00");
  assert.equal(countdownAt(midnight, NOW - 700), null, "more than an hour ahead");
  assert.equal(secondsLeft(NOW + 3, NOW), 3);
  assert.equal(secondsLeft(NOW + 2.1, NOW), 3);
  assert.equal(secondsLeft(NOW - 1, NOW), 0);
  assert.deepEqual([0, 9, 59, 60, 65, 3599, 3600, 3723].map(countdownText), ["0", "9", "59", "1:00", "1:05", "59:59", "1:00:00", "1:02:03"]);
});

test("what is announced: the stroke of the bell, a repeat, a single moment, the lead", () => {
  const moment = checkMoment(bell());
  assert.equal(momentAnnouncement("en", moment, 2), "The Bosingak bell: stroke 3 of 33");
  assert.equal(momentAnnouncement("ko", moment, 32), "보신각 타종: 33번 중 33번째");
  const plain = checkMoment(bell({ label: {}, count: 33 }));
  assert.equal(momentLabel("en", plain), "The bell");
  assert.equal(momentAnnouncement("en", plain, 2), "The bell: stroke 3 of 33");
  const fireworks = checkMoment(bell({ kind: "fireworks", label: {}, count: 5 }));
  assert.equal(momentAnnouncement("en", fireworks, 1), "Fireworks: 2 of 5");
  assert.equal(momentAnnouncement("en", checkMoment(bell({ kind: "fireworks", label: {}, count: 1 })), 0), "Fireworks!");
  assert.equal(momentAnnouncement("en", checkMoment(bell({ kind: "countdown", label: { en: "New Year" }, count: 1 })), 0), "New Year: now!");
  assert.equal(momentSoon("en", plain, 10), "The bell in 10 seconds");
  for (const kind of ["bell", "fireworks", "lights", "countdown", "cue"]) assert.ok(KEYS.includes(`moment_${kind}`));
});

test("the schedule: soonest first, in the reader's language and local time, with RSVPs", () => {
  const events = [
    {
      id: 4, title: { ko: "드럼 축제", en: "Drum festival" }, description: { ko: "북", en: "Drums" },
      starts_at: NOW + 7200, ends_at: NOW + 10800, cancelled: false, started: false, rsvps: 1240, going: null,
    },
    {
      id: 3, title: { ko: "보신각 타종" }, description: {},
      starts_at: NOW - 60, ends_at: NOW + 3600, cancelled: false, started: true, rsvps: 2, going: null,
    },
    { id: 5, title: { ko: "취소" }, starts_at: NOW + 100, ends_at: NOW + 200, cancelled: true },
    { id: 6, title: { ko: "끝남" }, starts_at: NOW - 7200, ends_at: NOW - 1 },
    { id: "x" },
  ];
  const rows = scheduleRows(events, "en", NOW, new Map([[4, true]]), { timeZone: "Asia/Seoul" });
  assert.deepEqual(rows.map((r) => r.id), [3, 4]);
  const [live, later] = rows;
  assert.equal(live.title, "보신각 타종"); // no English: the Korean
  assert.equal(live.description, "");
  assert.deepEqual([live.live, live.started, live.going, live.rsvps], [true, true, false, 2]);
  assert.deepEqual([later.title, later.description, later.live, later.going, later.rsvps], ["Drum festival", "Drums", false, true, 1240]);
  // NOW is 2026-12-31 14:56:40 UTC: 23:56 in Seoul; the drums run 01:56 – 02:56 on Jan 1.
  assert.equal(later.when, "Jan 1, 01:56 – 02:56");
  assert.equal(live.when, "Dec 31, 23:55 – Jan 1, 00:56");
  assert.equal(timeRange(NOW, NOW + 60, "en", { timeZone: "UTC" }), "Dec 31, 14:56 – 14:57");
  assert.deepEqual(scheduleRows(null, "en", NOW), []);
  assert.equal(startedText("en", events[1]), "보신각 타종 has started");
  assert.equal(startedText("ko", events[0]), "드럼 축제 행사가 시작되었습니다");
});

test("REACT goes out through the connection's own method when it has one", () => {
  const sent = [];
  assert.equal(sendReaction({ react: (kind) => sent.push(kind) }, 2), true);
  assert.deepEqual(sent, [2]);
});



test("whoever stands on the stage is drawn on its floor, by the crowd and the stage alike", () => {
  const scene = {
    name: "festival",
    spots: [
      { id: "gate", position: [0, 0, 60] },
      { id: "stage", position: [0, 1.2, -30], radius: 10 },
    ],
  };
  const floor = stageFloor(scene);
  assert.deepEqual(floor, { x: 0, y: 1.2, z: -30, radius: 10 });
  assert.equal(standingHeight(floor, 4, 0, -28), 1.2); // on the stage, walking at ground level
  assert.equal(standingHeight(floor, 0, 0, -20), 1.2); // on its edge
  assert.equal(standingHeight(floor, 0, 0, -19.9), 0); // in front of it
  assert.equal(standingHeight(floor, 4, 2.5, -28), 2.5); // above the floor (a VR user on a box)
  assert.equal(stageFloor({ ...scene, name: "seoul_plaza" }), null);
  assert.equal(stageFloor({ name: "festival", spots: [] }), null);
  assert.equal(standingHeight(null, 4, 0, -28), 0);
});
