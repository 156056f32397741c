// PlazaConnection with a fake WebSocket and fake timers: what it sends, how it reacts to
// each server message and close code, reconnecting and resuming, renewal and moderation.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { ClockSync } from "../../src/net/clock.js";
import { encodeMove, encodePose } from "../../src/net/codec.js";
import {
  CLOSE_MESSAGE_KEYS,
  PlazaCloseError,
  PlazaConnection,
  PlazaRequestError,
  RENEW_RETRY_MS,
  RESYNC_CLOSE_CODE,
  closeMessageKey,
} from "../../src/net/connection.js";
import { decodeMsgpack, encodeMsgpack } from "../../src/net/msgpack.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/world_frames.json", import.meta.url), "utf8"));
// Mina's messages across a portal, from the real city (fixtures/make_zone_travel.py).
const travel = JSON.parse(readFileSync(new URL("./fixtures/zone_travel.json", import.meta.url), "utf8"));
const fromHex = (text) => new Uint8Array(Buffer.from(text, "hex"));
const WELCOME = fromHex(fixture.observers.Ara.welcome);
const FRAMES = fixture.observers.Ara.frames.map((f) => fromHex(f.frame));
const WELCOME_INFO = decodeMsgpack(WELCOME)[1];
const resumedWelcome = () => encodeMsgpack([64, { ...WELCOME_INFO, resumed: true, tick: 40 }]);

/** Timers the test advances by hand. */
class FakeTimers {
  #next = 1;
  pending = new Map();
  setTimeout = (fn, ms) => {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    return id;
  };
  clearTimeout = (id) => {
    this.pending.delete(id);
  };
  /** Delays of the pending timers, sorted. */
  delays() {
    return [...this.pending.values()].map((t) => t.ms).sort((a, b) => a - b);
  }
  /** Run the pending timer with exactly this delay. */
  fire(ms) {
    for (const [id, timer] of this.pending) {
      if (timer.ms === ms) {
        this.pending.delete(id);
        timer.fn();
        return;
      }
    }
    throw new Error(`no timer of ${ms} ms (pending: ${this.delays()})`);
  }
  /** Run the shortest pending timer. */
  fireShortest() {
    this.fire(this.delays()[0]);
  }
}

/** A WebSocket class whose instances record what is sent and let the test play the server. */
function fakeWebSocketClass() {
  return class FakeWebSocket {
    static instances = [];
    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.readyState = 0;
      this.bufferedAmount = 0;
      this.sent = [];
      this.closeCalls = [];
      FakeWebSocket.instances.push(this);
    }
    static get last() {
      return FakeWebSocket.instances.at(-1);
    }
    send(data) {
      if (this.readyState !== 1) throw new Error("InvalidStateError: not open");
      this.sent.push(Uint8Array.from(data));
    }
    close(code, reason) {
      this.closeCalls.push({ code, reason });
      this.readyState = 2;
      // The server echoes the client's close code.
      queueMicrotask(() => this.serverClose(code ?? 1005, reason ?? "", true));
    }
    // -- the server's side
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    receive(bytes) {
      const copy = Uint8Array.from(bytes);
      this.onmessage?.({ data: copy.buffer });
    }
    serverClose(code, reason = "", wasClean = true) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.({ code, reason, wasClean });
    }
    /** The decoded messages sent so far. */
    messages() {
      return this.sent.map((bytes) => decodeMsgpack(bytes));
    }
  };
}

function setup(options = {}) {
  const WebSocketImpl = fakeWebSocketClass();
  const timers = new FakeTimers();
  let now = 1000;
  const clock = new ClockSync({ now: () => now });
  const connection = new PlazaConnection({
    WebSocketImpl,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    random: () => 0.5,
    autoSyncClock: false,
    clock,
    ...options,
  });
  const events = [];
  const types = ["welcome", "world", "correction", "error", "result", "tokenexpiring", "close", "chat", "zoneevent", "enterzone"];
  for (const type of types) {
    connection.addEventListener(type, (event) => events.push({ type, detail: event.detail }));
  }
  const setNow = (value) => {
    now = value;
  };
  return { connection, WebSocketImpl, timers, events, setNow };
}

async function joined(options) {
  const context = setup(options);
  const welcome = context.connection.connect("ws://plaza.test:8081/ws", "tok-1");
  const ws = context.WebSocketImpl.last;
  ws.open();
  ws.receive(WELCOME);
  await welcome;
  return { ...context, ws };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const closeEvents = (events) => events.filter((e) => e.type === "close").map((e) => e.detail);

describe("connecting", () => {
  it("opens the socket with the token in the query and plaza.v1, and resolves on WELCOME", async () => {
    const { connection, WebSocketImpl, events } = setup();
    const promise = connection.connect("ws://plaza.test:8081/ws", "a.b-c_d");
    const ws = WebSocketImpl.last;
    assert.equal(ws.url, "ws://plaza.test:8081/ws?token=a.b-c_d");
    assert.equal(ws.protocols, "plaza.v1");
    assert.equal(ws.binaryType, "arraybuffer");
    assert.equal(connection.state, "connecting");
    ws.open();
    ws.receive(WELCOME);
    const welcome = await promise;
    assert.equal(welcome.type, "welcome");
    assert.equal(welcome.avatarId, 16);
    assert.equal(connection.avatarId, 16);
    assert.equal(connection.state, "joined");
    assert.equal(events[0].type, "welcome");
    assert.deepEqual([...connection.mirror.origin], [-50, -5, -50]);
    connection.close();
  });

  it("applies WORLD frames to the mirror before telling listeners", async () => {
    const { connection, ws, events } = await joined();
    const seen = [];
    connection.addEventListener("world", (event) => seen.push([event.detail.frame.tick, event.detail.mirror.size]));
    ws.receive(FRAMES[0]);
    ws.receive(FRAMES[1]);
    assert.deepEqual(seen, [
      [1, 3],
      [2, 3],
    ]);
    assert.equal(connection.mirror.get(0).avatarId, 17);
    assert.equal(events.filter((e) => e.type === "world").length, 2);
    connection.close();
  });

  it("passes CORRECTION and ERROR on as events", async () => {
    const { connection, ws, events } = await joined();
    ws.receive(encodeMsgpack([66, 7, 4.5, 0, 2, "speed limit"]));
    ws.receive(encodeMsgpack([68, 3, "x must be a number", 1]));
    assert.deepEqual(events.find((e) => e.type === "correction").detail, {
      type: "correction",
      seq: 7,
      x: 4.5,
      y: 0,
      z: 2,
      reason: "speed limit",
    });
    const error = events.find((e) => e.type === "error").detail;
    assert.equal(error.name, "BAD_FIELD");
    assert.equal(error.opcode, 1);
    assert.equal(connection.state, "joined");
    connection.close();
  });

  it("rejects connect() when the first close is final", async () => {
    const { connection, WebSocketImpl } = setup();
    const promise = connection.connect("ws://plaza.test/ws", "tok");
    WebSocketImpl.last.open();
    WebSocketImpl.last.serverClose(4003, "banned until lifted: spam");
    await assert.rejects(promise, (error) => {
      assert.ok(error instanceof PlazaCloseError);
      assert.equal(error.code, 4003);
      assert.equal(error.key, "banned");
      assert.equal(error.reason, "banned until lifted: spam");
      return true;
    });
    assert.equal(connection.state, "closed");
  });

  it("retries a refused upgrade with growing delays, then gives up", async () => {
    const { connection, WebSocketImpl, timers, events } = setup({ maxReconnectAttempts: 3, reconnectBaseMs: 100 });
    const promise = connection.connect("ws://plaza.test/ws", "tok");
    for (let attempt = 0; attempt < 3; attempt++) {
      WebSocketImpl.last.serverClose(1006, "", false);
      timers.fireShortest();
    }
    WebSocketImpl.last.serverClose(1006, "", false);
    await assert.rejects(promise, PlazaCloseError);
    assert.equal(WebSocketImpl.instances.length, 4);
    // Half fixed, half random (random() is 0.5 here): 75, 150, 300 ms.
    assert.deepEqual(
      closeEvents(events).map((c) => c.delayMs),
      [75, 150, 300, null],
    );
    assert.equal(timers.pending.size, 0);
  });
});

describe("sending", () => {
  it("sends nothing before WELCOME, then MOVE and POSE with their own seq counters", async () => {
    const { connection, WebSocketImpl } = setup();
    const promise = connection.connect("ws://plaza.test/ws", "tok");
    const ws = WebSocketImpl.last;
    ws.open();
    assert.equal(connection.sendMove({ x: 1, y: 0, z: 2 }), null);
    ws.receive(WELCOME);
    await promise;
    assert.equal(connection.sendMove({ x: 1, y: 0, z: 2 }), 1);
    assert.equal(connection.sendMove({ x: 1.5, y: 0, z: 2, yaw: 0.5, anim: 2, flags: 1 }), 2);
    const joint = [0, 1.6, 0, 0, 0, 0, 1];
    assert.equal(connection.sendPose({ head: joint, left: joint, right: joint }), 1);
    assert.deepEqual(ws.sent, [
      encodeMove({ seq: 1, x: 1, y: 0, z: 2, yaw: 0, anim: 0, flags: 0 }),
      encodeMove({ seq: 2, x: 1.5, y: 0, z: 2, yaw: 0.5, anim: 2, flags: 1 }),
      encodePose({ seq: 1, head: joint, left: joint, right: joint }),
    ]);
    connection.close();
  });

  it("skips MOVE while the socket is backed up, without using a seq", async () => {
    const { connection, ws } = await joined();
    ws.bufferedAmount = 1 << 20;
    assert.equal(connection.sendMove({ x: 0, y: 0, z: 0 }), null);
    ws.bufferedAmount = 0;
    assert.equal(connection.sendMove({ x: 0, y: 0, z: 0 }), 1);
    connection.close();
  });

  it("throws for a field the server would refuse", async () => {
    const { connection } = await joined();
    assert.throws(() => connection.sendMove({ x: NaN, y: 0, z: 0 }), RangeError);
    assert.equal(connection.sendMove({ x: 0, y: 0, z: 0 }), 1);
    connection.close();
  });

  it("sends REACT only while joined", async () => {
    const { connection, WebSocketImpl } = setup();
    const promise = connection.connect("ws://plaza.test/ws", "tok");
    const ws = WebSocketImpl.last;
    ws.open();
    assert.equal(connection.react(0), false);
    ws.receive(WELCOME);
    await promise;
    assert.equal(connection.react(2), true);
    assert.deepEqual(ws.sent, [new Uint8Array([0x92, 0x0a, 0x02])]);
    assert.throws(() => connection.react(7), RangeError);
    connection.close();
  });
});

describe("closing and reconnecting", () => {
  it("reconnects after an abnormal close, and a resumed WELCOME resets mirror and seq", async () => {
    const { connection, WebSocketImpl, timers, events, ws } = await joined();
    ws.receive(FRAMES[0]);
    connection.sendMove({ x: 0, y: 0, z: 0 });
    connection.sendMove({ x: 0, y: 0, z: 0 });
    assert.equal(connection.mirror.size, 3);
    ws.serverClose(1006, "", false);
    const [drop] = closeEvents(events);
    assert.equal(drop.code, 1006);
    assert.equal(drop.willReconnect, true);
    assert.equal(drop.key, "disconnected");
    assert.equal(connection.state, "reconnecting");
    assert.ok(drop.delayMs >= 250 && drop.delayMs <= 500, `first retry soon: ${drop.delayMs}`);
    timers.fire(drop.delayMs);
    const again = WebSocketImpl.last;
    assert.notEqual(again, ws);
    assert.equal(again.url, "ws://plaza.test:8081/ws?token=tok-1");
    again.open();
    again.receive(resumedWelcome());
    const welcome = events.filter((e) => e.type === "welcome").at(-1).detail;
    assert.equal(welcome.resumed, true);
    assert.equal(welcome.avatarId, 16);
    assert.equal(connection.mirror.size, 0, "the view starts afresh");
    assert.equal(connection.state, "joined");
    assert.equal(connection.sendMove({ x: 0, y: 0, z: 0 }), 1, "seq starts again");
    // The fresh view's first frame enters everyone again, into an empty mirror.
    again.receive(FRAMES[0]);
    assert.equal(connection.mirror.size, 3);
    connection.close();
  });

  for (const [code, key] of [
    [4003, "banned"],
    [4006, "replaced"],
    [1008, "policy"],
    [1009, "tooBig"],
  ]) {
    it(`does not reconnect after ${code} (${key})`, async () => {
      const { connection, WebSocketImpl, timers, events, ws } = await joined();
      ws.serverClose(code, "reason");
      const [closed] = closeEvents(events);
      assert.equal(closed.code, code);
      assert.equal(closed.key, key);
      assert.equal(closed.willReconnect, false);
      assert.equal(connection.state, "closed");
      assert.equal(timers.pending.size, 0);
      assert.equal(WebSocketImpl.instances.length, 1);
    });
  }

  for (const [code, key] of [
    [1001, "shuttingDown"],
    [1011, "serverError"],
    [1013, "full"],
    [4002, "slow"],
    [1000, "disconnected"],
  ]) {
    it(`reconnects after ${code} from the server (${key})`, async () => {
      const { connection, events, ws } = await joined();
      ws.serverClose(code, "reason");
      const [closed] = closeEvents(events);
      assert.equal(closed.key, key);
      assert.equal(closed.willReconnect, true);
      connection.close();
      assert.equal(connection.state, "closed");
    });
  }

  it("does not reconnect after its own close with 1000", async () => {
    const { connection, WebSocketImpl, timers, events, ws } = await joined();
    connection.close();
    assert.deepEqual(ws.closeCalls, [{ code: 1000, reason: "" }]);
    await tick();
    const [closed] = closeEvents(events);
    assert.equal(closed.code, 1000);
    assert.equal(closed.willReconnect, false);
    assert.equal(connection.state, "closed");
    assert.equal(timers.pending.size, 0);
    assert.equal(WebSocketImpl.instances.length, 1);
  });

  it("stops a pending reconnect when closed", async () => {
    const { connection, WebSocketImpl, timers, ws, events } = await joined();
    ws.serverClose(1006, "", false);
    assert.equal(timers.pending.size, 1);
    connection.close();
    assert.equal(timers.pending.size, 0);
    assert.equal(connection.state, "closed");
    assert.equal(closeEvents(events).at(-1).willReconnect, false);
    assert.equal(WebSocketImpl.instances.length, 1);
  });

  it("after 4005 stays closed without a tokenSource", async () => {
    const { connection, events, ws } = await joined();
    ws.serverClose(4005, "token expired; reconnect with a fresh token");
    assert.equal(closeEvents(events)[0].willReconnect, false);
    assert.equal(closeEvents(events)[0].key, "expired");
    assert.equal(connection.state, "closed");
  });

  it("after 4005 reconnects with a fresh token from the tokenSource", async () => {
    let calls = 0;
    const tokenSource = async () => `fresh-${++calls}`;
    const { connection, WebSocketImpl, timers, events, ws } = await joined({ tokenSource });
    ws.serverClose(4005, "token expired; reconnect with a fresh token");
    assert.equal(closeEvents(events)[0].willReconnect, true);
    timers.fireShortest();
    await tick();
    assert.equal(calls, 1);
    assert.equal(WebSocketImpl.last.url, "ws://plaza.test:8081/ws?token=fresh-1");
    assert.equal(connection.token, "fresh-1");
    WebSocketImpl.last.open();
    WebSocketImpl.last.receive(resumedWelcome());
    assert.equal(connection.state, "joined");
    connection.close();
  });

  it("closes with 4000 and reconnects for a fresh view when a frame does not fit the mirror", async () => {
    const { connection, WebSocketImpl, timers, events, ws } = await joined();
    ws.receive(FRAMES[1]); // frame 2 without frame 1: body rows for empty slots
    assert.deepEqual(
      ws.closeCalls.map((c) => c.code),
      [RESYNC_CLOSE_CODE],
    );
    ws.receive(FRAMES[0]); // ignored: this socket is being closed
    await tick();
    const [closed] = closeEvents(events);
    assert.equal(closed.code, RESYNC_CLOSE_CODE);
    assert.equal(closed.willReconnect, true);
    timers.fireShortest();
    WebSocketImpl.last.open();
    WebSocketImpl.last.receive(resumedWelcome());
    assert.equal(connection.state, "joined");
    assert.equal(connection.mirror.size, 0);
    connection.close();
  });

  it("names a message for every close code of the contract", () => {
    assert.equal(closeMessageKey(4003), "banned");
    assert.equal(closeMessageKey(4005), "expired");
    assert.equal(closeMessageKey(4006), "replaced");
    assert.equal(closeMessageKey(1013), "full");
    assert.equal(closeMessageKey(1001), "shuttingDown");
    assert.equal(closeMessageKey(4002), "slow");
    assert.equal(closeMessageKey(1008), "policy");
    assert.equal(closeMessageKey(1009), "tooBig");
    assert.equal(closeMessageKey(4999), "disconnected");
    for (const key of Object.values(CLOSE_MESSAGE_KEYS)) assert.match(key, /^[a-z][A-Za-z]+$/);
  });
});

describe("token renewal", () => {
  it("answers TOKEN_EXPIRING with RENEW carrying the tokenSource's token", async () => {
    const tokenSource = async () => "tok-2";
    const { connection, ws, events } = await joined({ tokenSource });
    ws.receive(encodeMsgpack([69, 1767194100.5]));
    assert.deepEqual(events.at(-1), { type: "tokenexpiring", detail: { expiresAt: 1767194100.5, renewing: true } });
    assert.equal(connection.tokenExpiresAt, 1767194100.5);
    await tick();
    assert.deepEqual(ws.messages().at(-1), [4, "tok-2"]);
    assert.equal(connection.token, "tok-1", "the old token holds until the server accepts the new one");
    ws.receive(encodeMsgpack([70, "renew", true, { expires_at: 1767195000.5 }]));
    assert.equal(connection.token, "tok-2");
    assert.equal(connection.tokenExpiresAt, 1767195000.5);
    connection.close();
  });

  it("tries again later when the RENEW is refused", async () => {
    const tokenSource = async () => "tok-bad";
    const { connection, ws, timers } = await joined({ tokenSource });
    ws.receive(encodeMsgpack([69, 1767194100]));
    await tick();
    ws.receive(encodeMsgpack([68, 3, "token signature invalid", 4]));
    await tick();
    assert.deepEqual(timers.delays(), [RENEW_RETRY_MS]);
    timers.fire(RENEW_RETRY_MS);
    await tick();
    assert.deepEqual(
      ws.messages().filter((m) => m[0] === 4),
      [
        [4, "tok-bad"],
        [4, "tok-bad"],
      ],
    );
    connection.close();
    await tick();
    assert.equal(timers.pending.size, 0);
  });

  it("renew() resolves with the RESULT or rejects with the ERROR", async () => {
    const { connection, ws } = await joined();
    const ok = connection.renew("tok-3");
    await tick();
    ws.receive(encodeMsgpack([70, "renew", true, { expires_at: 5 }]));
    assert.deepEqual(await ok, { type: "result", requestId: "renew", ok: true, detail: { expires_at: 5 } });
    const refused = connection.renew("tok-other-user");
    await tick();
    ws.receive(encodeMsgpack([68, 5, "the token is for another user", 4]));
    await assert.rejects(refused, (error) => error instanceof PlazaRequestError && error.code === 5);
    assert.equal(connection.token, "tok-3");
    connection.close();
  });
});

describe("moderation", () => {
  it("moderate() resolves with its own RESULT, whatever the order of the answers", async () => {
    const { connection, ws } = await joined();
    const ban = connection.moderate({ requestId: "mod-1", action: "ban", avatar: 17, reason: "spam", minutes: 60 });
    const lift = connection.moderate({ requestId: "mod-2", action: "lift", sanction: 42 });
    const sent = ws.messages();
    assert.deepEqual(sent[0], [5, "mod-1", "ban", { avatar: 17, reason: "spam", minutes: 60 }]);
    assert.equal(sent[1][0], 3, "a PING follows each MODERATE");
    assert.deepEqual(sent[2], [5, "mod-2", "lift", { sanction: 42 }]);
    ws.receive(encodeMsgpack([70, "mod-2", true, { lifted: true }]));
    ws.receive(encodeMsgpack([70, "mod-1", false, "no avatar 17 here"]));
    assert.deepEqual(await lift, { type: "result", requestId: "mod-2", ok: true, detail: { lifted: true } });
    assert.deepEqual(await ban, { type: "result", requestId: "mod-1", ok: false, detail: "no avatar 17 here" });
    connection.close();
  });

  it("makes a request id when none is given", async () => {
    const { connection, ws } = await joined();
    const pending = connection.moderate({ action: "mute", subject: "local:loud", reason: "shouting" });
    const [, requestId] = ws.messages()[0];
    assert.match(requestId, /^[0-9a-f]{32}$/);
    ws.receive(encodeMsgpack([70, requestId, true, { id: 1 }]));
    assert.equal((await pending).requestId, requestId);
    connection.close();
  });

  it("rejects the request an ERROR answers, telling it apart by the PING behind each", async () => {
    const { connection, ws } = await joined();
    const first = connection.moderate({ requestId: "ok-1", action: "ban", avatar: 17, reason: "spam" });
    const second = connection.moderate({ requestId: "bad-2", action: "ban", avatar: 18, reason: "spam" });
    const pings = ws.messages().filter((m) => m[0] === 3);
    // The server read the first (its PING came back), then refused the second.
    ws.receive(encodeMsgpack([67, pings[0][1], 1767193200]));
    await tick();
    ws.receive(encodeMsgpack([68, 5, "ban needs the moderator or admin role; you are citizen", 5]));
    await assert.rejects(second, (error) => error.requestId === "bad-2" && error.code === 5 && !error.retryable);
    ws.receive(encodeMsgpack([70, "ok-1", true, { id: 9 }]));
    assert.equal((await first).detail.id, 9);
    connection.close();
  });

  it("rejects as retryable when too many requests wait", async () => {
    const { connection, ws } = await joined();
    const request = connection.moderate({ requestId: "r-5", action: "lift", sanction: 1 });
    ws.receive(encodeMsgpack([68, 4, "more than 4 requests waiting; wait for their results", null]));
    await assert.rejects(request, (error) => error.retryable && error.requestId === "r-5");
    connection.close();
  });

  it("rejects pending requests as retryable when the connection drops", async () => {
    const { connection, ws } = await joined();
    const request = connection.moderate({ requestId: "r-6", action: "lift", sanction: 1 });
    ws.serverClose(1006, "", false);
    await assert.rejects(request, (error) => error instanceof PlazaRequestError && error.retryable);
    connection.close();
  });

  it("refuses before WELCOME and for invalid fields without sending", async () => {
    const { connection, WebSocketImpl } = setup();
    connection.connect("ws://plaza.test/ws", "tok").catch(() => {});
    WebSocketImpl.last.open();
    await assert.rejects(connection.moderate({ action: "lift", sanction: 1 }), PlazaRequestError);
    WebSocketImpl.last.receive(WELCOME);
    await assert.rejects(connection.moderate({ action: "ban", avatar: 1, reason: " " }), RangeError);
    assert.equal(WebSocketImpl.last.sent.length, 0);
    connection.close();
  });
});

/** A connection that joined with Mina's WELCOME of the zone travel fixture. */
async function joinedAsMina() {
  const context = setup();
  const welcome = context.connection.connect("ws://plaza.test:8081/ws", "tok-mina");
  const ws = context.WebSocketImpl.last;
  ws.open();
  ws.receive(fromHex(travel.mina[0].message));
  await welcome;
  return { ...context, ws };
}

/** What the mirror holds, as {name: [x, y, z]} (metres), like the fixture's `seen`. */
function seen(mirror) {
  const out = {};
  for (const avatar of mirror) out[avatar.description.name] = [avatar.body.x, avatar.body.y, avatar.body.z];
  return out;
}

describe("chat, blocks, reports and zones", () => {
  it("follows Mina through a portal: ENTER_ZONE empties the mirror, takes the new origin and lifts seq", async () => {
    const { connection, ws, events } = await joinedAsMina();
    const enterIndex = travel.mina.findIndex((m) => fromHex(m.message)[1] === 73);
    assert.ok(enterIndex > 0);
    let moves = 0;
    let poses = 0;
    const atEnter = [];
    connection.addEventListener("enterzone", (event) => {
      // Listeners already see the new zone's state.
      atEnter.push({
        size: connection.mirror.size,
        origin: [...connection.mirror.origin],
        zone: connection.welcome.zone.name,
        avatarId: connection.avatarId,
        via: event.detail.via,
      });
    });
    for (let i = 1; i < travel.mina.length; i++) {
      const { message, seen: expected } = travel.mina[i];
      ws.receive(fromHex(message));
      assert.deepEqual(seen(connection.mirror), expected, `after message ${i}`);
      if (i < enterIndex) {
        // Walking in the plaza, as the page does, with its own seq counters.
        assert.equal(connection.sendMove({ x: i * 0.1, y: 0, z: 0 }), ++moves);
        if (i % 5 === 0) assert.equal(connection.sendPose({ head: [0, 1.6, 0, 0, 0, 0, 1], left: [0, 1, 0, 0, 0, 0, 1], right: [0, 1, 0, 0, 0, 0, 1] }), ++poses);
      }
      if (i === enterIndex) {
        assert.equal(connection.mirror.size, 0);
        assert.deepEqual(atEnter, [
          { size: 0, origin: [-50, -5, -50], zone: "hall", avatarId: travel.ids.Mina, via: "to_hall" },
        ]);
      }
    }
    const enter = events.find((e) => e.type === "enterzone").detail;
    assert.ok(enter.seqFloor > moves);
    // The next MOVE and POSE go out above the floor, so the server takes them.
    assert.equal(connection.sendMove({ x: -10, y: 0, z: 4 }), enter.seqFloor + 1);
    assert.equal(connection.sendPose({ head: [0, 1.6, 0, 0, 0, 0, 1], left: [0, 1, 0, 0, 0, 0, 1], right: [0, 1, 0, 0, 0, 0, 1] }), enter.seqFloor + 1);
    const sent = ws.messages();
    assert.deepEqual(sent.at(-2).slice(0, 2), [1, enter.seqFloor + 1]);
    assert.deepEqual(sent.at(-1).slice(0, 2), [2, enter.seqFloor + 1]);
    assert.deepEqual(seen(connection.mirror), travel.mina.at(-1).seen);
    assert.deepEqual(Object.keys(seen(connection.mirror)), ["Ara"]);
    assert.equal(connection.welcome.type, "enterZone");
    assert.deepEqual(connection.welcome.instance, { zone: "hall", number: 1 });
    assert.equal(connection.state, "joined");
    connection.close();
  });

  it("keeps counters already past the floor, and reads a CHAT Mina heard in the plaza", async () => {
    const { connection, ws, events } = await joinedAsMina();
    const chat = travel.mina.find((m) => fromHex(m.message)[1] === 71);
    ws.receive(fromHex(chat.message));
    const heard = events.find((e) => e.type === "chat").detail;
    assert.deepEqual([heard.name, heard.text, heard.channel, heard.from], ["Jun", "안녕하세요, 미나 님", "near", travel.ids.Jun]);
    assert.equal(heard.requestId, null);
    for (let i = 0; i < 5; i++) connection.sendMove({ x: 0, y: 0, z: 0 });
    const info = decodeMsgpack(fromHex(travel.mina[0].message))[1];
    ws.receive(encodeMsgpack([73, { ...info, via: "transfer", seq_floor: 3, notice: "2번 방으로 옮겼습니다", instance: { zone: "plaza", number: 2 } }]));
    const enter = events.find((e) => e.type === "enterzone").detail;
    assert.deepEqual([enter.via, enter.seqFloor, enter.notice], ["transfer", 3, "2번 방으로 옮겼습니다"]);
    assert.equal(connection.sendMove({ x: 0, y: 0, z: 0 }), 6);
    connection.close();
  });

  it("say() sends SAY and returns its request id; the echo and a refusal carry it", async () => {
    const { connection, ws, events } = await joinedAsMina();
    const requestId = connection.say("  반가워요 ");
    assert.match(requestId, /^[0-9a-f]{32}$/);
    assert.deepEqual(ws.messages().at(-1), [6, requestId, "near", "반가워요", null]);
    assert.equal(connection.say("hi", { channel: "direct", to: 65, requestId: "dm-1" }), "dm-1");
    assert.deepEqual(ws.messages().at(-1), [6, "dm-1", "direct", "hi", 65]);
    // Jun's own copy of his line and the refusal of his zone-wide one (the real city's bytes).
    ws.receive(fromHex(travel.jun[0]));
    ws.receive(fromHex(travel.jun[1]));
    const echo = events.find((e) => e.type === "chat").detail;
    assert.equal(echo.requestId, "jun-1");
    const refusal = events.find((e) => e.type === "result").detail;
    assert.equal(refusal.requestId, "jun-2");
    assert.equal(refusal.ok, false);
    assert.match(refusal.detail, /^zone-wide announcements are for /);
    assert.throws(() => connection.say("   "), RangeError);
    assert.throws(() => connection.say("x", { channel: "direct" }), RangeError);
    const sentBefore = ws.sent.length;
    connection.close();
    assert.throws(() => connection.say("late"), PlazaRequestError);
    assert.equal(ws.sent.length, sentBefore);
  });

  it("block(), report() and zoneRequest() resolve with their own RESULT", async () => {
    const { connection, ws } = await joinedAsMina();
    const block = connection.block(65, true, { requestId: "b-1" });
    const report = connection.report(65, " 욕설 ", { requestId: "r-1" });
    const vote = connection.zoneRequest("poll.vote", { choice: 2 }, { requestId: "z-1" });
    assert.equal(connection.zoneMessage("tour.wave", { n: 1 }), true);
    const sent = ws.messages().filter((m) => m[0] !== 3);
    assert.deepEqual(sent, [
      [7, "b-1", 65, true],
      [8, "r-1", 65, "욕설"],
      [9, "z-1", "poll.vote", { choice: 2 }],
      [9, null, "tour.wave", { n: 1 }],
    ]);
    assert.equal(ws.messages().filter((m) => m[0] === 3).length, 3, "a PING follows each request");
    ws.receive(encodeMsgpack([70, "z-1", true, { votes: 10 }]));
    ws.receive(encodeMsgpack([70, "r-1", true, { report: 4 }]));
    ws.receive(encodeMsgpack([70, "b-1", false, "that avatar is no longer here"]));
    assert.deepEqual((await vote).detail, { votes: 10 });
    assert.deepEqual((await report).detail, { report: 4 });
    assert.deepEqual(await block, { type: "result", requestId: "b-1", ok: false, detail: "that avatar is no longer here" });
    // The same request id while it waits: the same request, sent once.
    const again = connection.block(65, true, { requestId: "b-2" });
    assert.equal(connection.block(65, true, { requestId: "b-2" }), again);
    assert.equal(ws.messages().filter((m) => m[0] === 7 && m[1] === "b-2").length, 1);
    connection.close();
    await assert.rejects(again, (error) => error.retryable);
  });

  it("rejects the request an ERROR names by opcode, leaving the others waiting", async () => {
    const { connection, ws } = await joinedAsMina();
    const block = connection.block(65, true, { requestId: "b-1" });
    const report = connection.report(65, "spam", { requestId: "r-1" });
    ws.receive(encodeMsgpack([68, 6, "server busy; try again", 8]));
    await assert.rejects(report, (error) => error.requestId === "r-1" && error.code === 6 && error.retryable);
    ws.receive(encodeMsgpack([70, "b-1", true, { avatar: 65, blocked: true }]));
    assert.equal((await block).ok, true);
    await assert.rejects(connection.report(65, "  "), RangeError);
    await assert.rejects(connection.zoneRequest("Bad Type"), RangeError);
    connection.close();
  });

  it("passes ZONE_EVENT on, and ignores zone messages after closing", async () => {
    const { connection, ws, events } = await joinedAsMina();
    ws.receive(fromHex(travel.ara[0]));
    const event = events.find((e) => e.type === "zoneevent").detail;
    assert.deepEqual(event, {
      type: "zoneEvent",
      zone: "hall",
      event: "travel.refused",
      data: { zone: "garden", reason: "the garden is closed tonight" },
    });
    connection.close();
    assert.equal(connection.zoneMessage("tour.wave"), false);
  });
});

describe("clock sync", () => {
  it("pings, and keeps the offset of the fastest round trip", async () => {
    const { connection, ws, setNow } = await joined();
    const done = connection.syncClock({ samples: 3 });
    const rtts = [0.2, 0.02, 0.1];
    for (let i = 0; i < 3; i++) {
      await tick();
      const [opcode, sentAt] = ws.messages().at(-1);
      assert.equal(opcode, 3);
      // Server time is local + 500; the PONG leaves the server halfway through.
      setNow(sentAt + rtts[i]);
      ws.receive(encodeMsgpack([67, sentAt, sentAt + rtts[i] / 2 + 500 + (i === 1 ? 0.001 : 0.05)]));
    }
    const offset = await done;
    assert.ok(Math.abs(offset - 500.001) < 1e-9, `offset ${offset}`);
    assert.ok(Math.abs(connection.clock.rtt - 0.02) < 1e-9);
    connection.close();
  });

  it("syncs after each WELCOME when autoSyncClock is on", async () => {
    const { connection, ws } = await joined({ autoSyncClock: true });
    assert.deepEqual(
      ws.messages().map((m) => m[0]),
      [3],
    );
    connection.close();
  });
});
