// The 120 Center's client rules (src/common/center_model.js): the idempotency key, which
// ticket is "mine", how pushes replace it, the take request, and the center in words.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MESSAGES_KEPT,
  RECENT_CLOSED_S,
  addMessage,
  callbackOnly,
  categoryText,
  currentTicket,
  deskLines,
  deskSignText,
  isTicketKey,
  mergeTicket,
  messagesOf,
  needText,
  newTicketKey,
  newlyCalled,
  queueLines,
  stateText,
  takeRequest,
  ticketLine,
  waitText,
} from "../src/common/center_model.js";
import { refusalKey } from "../src/common/texts.js";
import { KEYS, t } from "../src/i18n.js";

const NOW = 1_795_000_000;
const ticket = (fields = {}) => ({
  id: 17,
  citizen: "user:mina",
  citizen_name: "Mina",
  category: "tax",
  state: "waiting",
  position: 3,
  wait_s: 540,
  desk: null,
  rating: null,
  callback: false,
  updated_at: NOW,
  ...fields,
});

test("a ticket key is 32 hex digits, new every time, and valid for the server", () => {
  const keys = new Set(Array.from({ length: 100 }, () => newTicketKey()));
  assert.equal(keys.size, 100);
  for (const key of keys) {
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.ok(isTicketKey(key));
  }
  // Without randomUUID (a page served over plain http): random bytes instead.
  const bytes = { getRandomValues: (array) => array.fill(0xab) };
  assert.equal(newTicketKey(bytes), "ab".repeat(16));
});

test("the key rule is the server's: 8 to 64 of A-Z a-z 0-9 _ -", () => {
  for (const good of ["abcdefgh", "A".repeat(64), "a_b-c_D-9"]) assert.ok(isTicketKey(good), good);
  for (const bad of ["short", "x".repeat(65), "has space", "점심점심점심점심", "a.b.c.d.e", null, 12345678]) {
    assert.ok(!isTicketKey(bad), String(bad));
  }
});

test("a wait is said in minutes, rounded up, and unknown when there is none", () => {
  assert.equal(waitText("en", 0), "under a minute");
  assert.equal(waitText("en", 59.9), "under a minute");
  assert.equal(waitText("en", 60), "about 1 min");
  assert.equal(waitText("en", 61), "about 2 min");
  assert.equal(waitText("en", 540), "about 9 min");
  assert.equal(waitText("ko", 600), "약 10분");
  for (const none of [null, undefined, Number.NaN, -5, "600"]) assert.equal(waitText("en", none), "not known yet");
});

test("each state has its words, in every language", () => {
  assert.equal(stateText("en", "waiting"), "waiting");
  assert.equal(stateText("en", "in_consultation"), "in consultation");
  assert.equal(stateText("ko", "closed"), "상담 완료");
  assert.equal(stateText("en", "purged"), "purged"); // a state this client does not know
  for (const state of ["waiting", "called", "in_consultation", "closed", "cancelled"]) {
    for (const locale of ["ko", "en", "ja", "zh"]) assert.ok(stateText(locale, state));
  }
});

test("the ticket's line: place and wait, the desk calling, how it ended", () => {
  assert.equal(ticketLine("en", ticket()), "Number 17: place 3 in the queue, wait about 9 min");
  assert.equal(
    ticketLine("en", ticket({ callback: true, position: 1 })),
    "Callback request 17: place 1 in the queue. We will call you back",
  );
  assert.equal(ticketLine("en", ticket({ position: null, wait_s: null })), "Number 17: waiting, wait not known yet");
  const called = ticket({ state: "called", desk: 2, position: null });
  assert.equal(ticketLine("en", called), "Desk 2 is calling number 17");
  assert.equal(ticketLine("ko", called), "2번 창구에서 17번을 부릅니다");
  assert.equal(
    ticketLine("en", called, { here: false }),
    "Desk 2 is calling number 17. Please come to the 120 Center",
  );
  assert.equal(ticketLine("en", ticket({ state: "in_consultation", desk: 2 })), "Number 17: in consultation at desk 2");
  assert.equal(ticketLine("en", ticket({ state: "closed" })), "Number 17 is closed");
  assert.equal(ticketLine("en", ticket({ state: "cancelled" })), "Number 17 was cancelled");
  assert.equal(ticketLine("en", null), "");
});

test("my ticket is the open one, else a recent closed one still to rate", () => {
  const closed = ticket({ id: 20, state: "closed", closed_at: NOW - 60 });
  const open = ticket({ id: 19 });
  assert.equal(currentTicket([closed, open], NOW), open);
  assert.equal(currentTicket([closed], NOW), closed);
  assert.equal(currentTicket([{ ...closed, rating: 4 }], NOW), null);
  assert.equal(currentTicket([{ ...closed, closed_at: NOW - RECENT_CLOSED_S - 1 }], NOW), null);
  assert.equal(currentTicket([ticket({ state: "cancelled" })], NOW), null);
  assert.equal(currentTicket([], NOW), null);
  assert.equal(currentTicket(undefined, NOW), null);
});

test("a push replaces the ticket shown only with newer news", () => {
  const waiting = ticket();
  const called = ticket({ state: "called", desk: 4, updated_at: NOW + 30 });
  assert.equal(mergeTicket(null, waiting), waiting);
  assert.equal(mergeTicket(waiting, called), called);
  assert.equal(mergeTicket(called, waiting), called); // a late answer does not undo the call
  assert.equal(mergeTicket(called, { nonsense: true }), called);
  // Another ticket: an open one takes over; an old one does not hide the open one.
  const other = ticket({ id: 30, state: "closed" });
  assert.equal(mergeTicket(waiting, other), waiting);
  assert.equal(mergeTicket(ticket({ state: "cancelled" }), other), other);
  assert.equal(mergeTicket(other, waiting), waiting);
});

test("a call is news once per desk", () => {
  const waiting = ticket();
  const called = ticket({ state: "called", desk: 4 });
  assert.ok(newlyCalled(waiting, called));
  assert.ok(newlyCalled(null, called));
  assert.ok(!newlyCalled(called, { ...called, updated_at: NOW + 1 }));
  assert.ok(newlyCalled(called, { ...called, desk: 5 })); // transferred to another desk
  assert.ok(!newlyCalled(called, ticket({ state: "in_consultation", desk: 4 })));
});

test("the take request carries the form, the key, and a contact outside hours", () => {
  const form = { category: "tax", description: "  재산세 문의  ", needs: ["large_text"], contact: "" };
  assert.deepEqual(takeRequest(form, "k".repeat(32), false), {
    data: { category: "tax", description: "재산세 문의", needs: ["large_text"], key: "k".repeat(32) },
  });
  assert.deepEqual(takeRequest(form, "k".repeat(32), true), { error: "centerContactNeeded" });
  assert.deepEqual(takeRequest({ ...form, contact: " 010-1234-5678 " }, "k".repeat(32), true).data, {
    category: "tax",
    description: "재산세 문의",
    needs: ["large_text"],
    key: "k".repeat(32),
    callback: true,
    contact: "010-1234-5678",
  });
  assert.deepEqual(takeRequest({ ...form, category: "" }, "k".repeat(8), false), { error: "centerCategoryNeeded" });
  assert.deepEqual(takeRequest({ ...form, description: " " }, "k".repeat(8), false), {
    error: "centerDescriptionNeeded",
  });
  assert.deepEqual(takeRequest({ ...form, description: "x".repeat(501) }, "k".repeat(8), false), {
    error: "centerDescriptionTooLong",
  });
  assert.throws(() => takeRequest(form, "bad key", false));
  const errors = ["centerContactNeeded", "centerCategoryNeeded", "centerDescriptionNeeded", "centerDescriptionTooLong"];
  for (const key of errors) assert.ok(KEYS.includes(key), key);
});

test("callbacks only outside staffed hours", () => {
  assert.equal(callbackOnly({ hours: { open: false } }), true);
  assert.equal(callbackOnly({ hours: { open: true } }), false);
  assert.equal(callbackOnly(null), false); // not known yet: the ordinary form
});

test("the consultation counts each line once, in time order", () => {
  const line = (id, at, text = `line ${id}`) => ({ ticket: 17, id, at, from: "user:mina", name: "Mina", text });
  let lines = addMessage([], line(2, NOW + 2));
  lines = addMessage(lines, line(1, NOW + 1));
  const same = addMessage(lines, line(2, NOW + 2)); // its push after the answer to sending it
  assert.equal(same, lines);
  assert.deepEqual(lines.map((l) => l.id), [1, 2]);
  assert.equal(addMessage(lines, { id: "x", text: "?" }), lines);
  for (let id = 3; id < MESSAGES_KEPT + 10; id++) lines = addMessage(lines, line(id, NOW + id));
  assert.equal(lines.length, MESSAGES_KEPT);
  const history = {
    id: 17,
    events: [
      { id: 5, at: NOW, actor: "user:mina", kind: "created", detail: {} },
      { id: 6, at: NOW + 5, actor: "staff:kim", kind: "message", detail: { text: "안녕하세요", name: "Kim" } },
      { id: 7, at: NOW + 6, actor: "staff:kim", kind: "note", detail: { note: "internal" } },
    ],
  };
  assert.deepEqual(messagesOf(history), [
    { ticket: 17, id: 6, at: NOW + 5, from: "staff:kim", name: "Kim", text: "안녕하세요" },
  ]);
});

const INFO = {
  categories: ["transport", "tax", "welfare", "housing", "other", "parking"],
  needs: ["sign_language", "easy_language", "large_text"],
  hours: { open: true },
  desks: [
    { desk: 2, open: false, staff_name: null },
    { desk: 1, open: true, staff_name: "Kim" },
    { desk: 3, open: true, staff_name: null },
  ],
  queues: {
    tax: { waiting: 4, callbacks: 1, oldest_wait_s: 310.5, wait_s: 600 },
    transport: { waiting: 0, callbacks: 0, wait_s: null },
  },
};

test("the desks and queues of center.info, in words", () => {
  assert.deepEqual(
    deskLines("en", INFO).map((d) => [d.desk, d.open, d.text]),
    [
      [1, true, "Desk 1: open — Kim"],
      [2, false, "Desk 2: closed"],
      [3, true, "Desk 3: open"],
    ],
  );
  assert.deepEqual(deskLines("en", null), []);
  const queues = queueLines("en", INFO);
  assert.deepEqual(queues.map((q) => q.category), INFO.categories);
  assert.equal(queues[0].text, "Transport: 0 waiting · wait not known yet");
  assert.equal(queues[1].text, "Tax: 4 waiting · wait about 10 min · 1 callback requests");
  assert.equal(queues[5].text, "parking: 0 waiting · wait not known yet"); // a city's own queue
  assert.equal(categoryText("ko", "welfare"), "복지");
  assert.equal(needText("en", "sign_language"), "Sign language");
  assert.equal(needText("en", "braille"), "braille");
});

test("the sign above a desk in 3D: open with the name, or closed", () => {
  assert.equal(deskSignText("en", { desk: 1, open: true, staff_name: "Kim" }), "Open · Kim");
  assert.equal(deskSignText("en", { desk: 3, open: true, staff_name: null }), "Open");
  assert.equal(deskSignText("ko", { desk: 2, open: false }), "닫힘");
  assert.equal(deskSignText("en", undefined), "Closed");
});

test("the zone's refusal of 'go to the desk' is worded in the reader's language", () => {
  const key = refusalKey("no desk has called your ticket yet");
  assert.equal(key, "refusedNotCalled");
  assert.equal(t("en", key), "No desk has called your number yet");
});
