// The pages' chat log (src/common/chat.js ChatLog) against a stand-in connection: what it
// keeps from CHAT, RESULT, ERROR and ZONE_EVENT, and what sending, blocking and reporting do.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ChatLog, CHAT_LINES_KEPT } from "../src/common/chat.js";
import { TABLE } from "../src/i18n.js";
import { PlazaRequestError } from "../src/net/connection.js";

/** A connection that records requests and lets the test play the server. */
class FakeConnection extends EventTarget {
  state = "joined";
  avatarId = 64;
  said = [];
  requests = [];
  answers = new Map();
  say(text, { channel }) {
    if (this.state !== "joined") throw new PlazaRequestError("not joined", { retryable: true });
    const requestId = `say-${this.said.length + 1}`;
    this.said.push({ requestId, text, channel });
    return requestId;
  }
  block(avatar, blocked) {
    this.requests.push(["block", avatar, blocked]);
    return Promise.resolve(this.answers.get("block"));
  }
  report(avatar, reason) {
    this.requests.push(["report", avatar, reason]);
    return Promise.resolve(this.answers.get("report"));
  }
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function setup() {
  const connection = new FakeConnection();
  const visit = new EventTarget();
  visit.connection = connection;
  const chat = new ChatLog(visit);
  const added = [];
  chat.addEventListener("line", (event) => added.push(event.detail));
  return { connection, visit, chat, added };
}

const heard = (from, text, extra = {}) => ({
  type: "chat",
  id: Math.floor(Math.random() * 1e6),
  channel: "near",
  from,
  name: from === 64 ? "미나" : "준",
  text,
  time: 1767193200,
  to: null,
  requestId: null,
  ...extra,
});

describe("the chat log", () => {
  it("keeps lines heard and marks its own, echoed with the request id", () => {
    const { connection, chat, added } = setup();
    const requestId = chat.send("안녕하세요");
    assert.equal(requestId, "say-1");
    assert.deepEqual(connection.said, [{ requestId: "say-1", text: "안녕하세요", channel: "near" }]);
    assert.ok(chat.pending.has("say-1"));
    connection.emit("chat", heard(64, "안녕하세요", { requestId: "say-1" }));
    connection.emit("chat", heard(65, "반가워요", { channel: "direct", to: 64 }));
    assert.equal(chat.pending.size, 0);
    assert.deepEqual(
      added.map((l) => [l.kind, l.name, l.text, l.mine, l.channel]),
      [
        ["chat", "미나", "안녕하세요", true, "near"],
        ["chat", "준", "반가워요", false, "direct"],
      ],
    );
    assert.equal(chat.send("   "), null);
    assert.equal(connection.said.length, 1);
  });

  it("says why a line was refused: a RESULT, an ERROR for SAY, or no connection", () => {
    const { connection, chat, added } = setup();
    const requestId = chat.send("hello", "zone");
    connection.emit("result", { type: "result", requestId, ok: false, detail: "you are muted" });
    connection.emit("result", { type: "result", requestId: "someone-else", ok: false, detail: "x" });
    connection.emit("error", { type: "error", code: 6, reason: "server busy; try again", opcode: 6 });
    connection.emit("error", { type: "error", code: 3, reason: "x must be a number", opcode: 1 });
    connection.state = "reconnecting";
    assert.equal(chat.send("hello again"), null);
    assert.deepEqual(
      added.map((l) => [l.kind, l.key, l.values.reason]),
      [
        ["system", "chatRefused", "you are muted"],
        ["system", "chatRefused", "server busy; try again"],
        ["system", "chatRefused", TABLE.reconnecting],
      ],
    );
  });

  it("tells of a refused trip and of a new zone, with the server's notice", () => {
    const { connection, visit, added } = setup();
    connection.emit("zoneevent", {
      type: "zoneEvent",
      zone: "seoul_plaza",
      event: "travel.refused",
      data: { zone: "festival", reason: "Festival Grounds is full; try again shortly" },
    });
    connection.emit("zoneevent", { type: "zoneEvent", zone: "seoul_plaza", event: "notice.posted", data: {} });
    const title = { ko: "관광특구", en: "Tourism District" };
    visit.dispatchEvent(
      new CustomEvent("zone", {
        detail: { zone: { name: "tourism", title }, entered: true, notice: "행사가 끝났습니다" },
      }),
    );
    // A reconnect that lands in another zone redraws, but nobody "arrived".
    visit.dispatchEvent(new CustomEvent("zone", { detail: { zone: { name: "tourism", title }, entered: false } }));
    assert.deepEqual(
      added.map((l) => [l.key, l.values]),
      [
        ["travelRefused", { reason: "Festival Grounds is full; try again shortly" }],
        ["enteredZone", { zone: title }],
        [null, { text: "행사가 끝났습니다" }],
      ],
    );
  });

  it("blocking removes the user's lines and drops new ones; a refusal is said", async () => {
    const { connection, chat, added } = setup();
    connection.emit("chat", heard(65, "광고입니다"));
    connection.emit("chat", heard(64, "그만하세요"));
    let resets = 0;
    chat.addEventListener("reset", () => resets++);
    connection.answers.set("block", { type: "result", requestId: "b", ok: true, detail: { avatar: 65, blocked: true } });
    assert.equal(await chat.block(chat.lines[0]), true);
    assert.deepEqual(connection.requests, [["block", 65, true]]);
    assert.equal(resets, 1);
    assert.deepEqual(
      chat.lines.map((l) => l.text ?? l.key),
      ["그만하세요", "blocked"],
    );
    connection.emit("chat", heard(65, "또 광고"));
    assert.equal(chat.lines.length, 2);
    connection.answers.set("block", { type: "result", requestId: "b", ok: false, detail: "that avatar is no longer here" });
    assert.equal(await chat.block(heard(70, "x")), false);
    assert.deepEqual(added.at(-1).values, { reason: "that avatar is no longer here" });
  });

  it("reports with the reason given", async () => {
    const { connection, chat, added } = setup();
    connection.emit("chat", heard(65, "욕설"));
    connection.answers.set("report", { type: "result", requestId: "r", ok: true, detail: { report: 3 } });
    assert.equal(await chat.report(chat.lines[0], "욕설을 했습니다"), true);
    assert.deepEqual(connection.requests, [["report", 65, "욕설을 했습니다"]]);
    assert.deepEqual([added.at(-1).key, added.at(-1).values], ["reported", { name: "준" }]);
  });

  it(`keeps the last ${CHAT_LINES_KEPT} lines`, () => {
    const { connection, chat } = setup();
    for (let i = 0; i < CHAT_LINES_KEPT + 10; i++) connection.emit("chat", heard(65, `line ${i}`));
    assert.equal(chat.lines.length, CHAT_LINES_KEPT);
    assert.equal(chat.lines[0].text, "line 10");
  });
});
