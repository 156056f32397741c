// The chat, block, report and zone messages against the server's codec
// (world/codec_social.py). Every client-message fixture below was fed to
// world.codec.decode_client, which accepted it and re-encoded it with encode_client to the
// very same bytes; every server-message fixture was made by world.codec_social's encoders
// or by the real city (fixtures/make_zone_travel.py). Where the repository's Python is at
// hand (.venv), the last group runs that check again live.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

import {
  CHAT_CHANNELS,
  ErrorCode,
  MAX_CHAT_CHARS,
  ProtocolError,
  decodeServer,
  encodeBlock,
  encodeReport,
  encodeSay,
  encodeZone,
} from "../../src/net/codec.js";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const bytes = (text) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const travel = JSON.parse(readFileSync(new URL("./fixtures/zone_travel.json", import.meta.url), "utf8"));

// What decode_client made of each: shown in the comment after `what`.
const ACCEPTED = [
  {
    what: "SAY near, trimmed, with an emoji (Say('say-1', 'near', '안녕하세요 😀', None))",
    bytes: () => encodeSay({ requestId: "say-1", channel: "near", text: "  안녕하세요 😀  " }),
    hex: "9506a57361792d31a46e656172b4ec9588eb8595ed9598ec84b8ec9a9420f09f9880c0",
  },
  {
    what: "SAY zone-wide with a newline (str 8)",
    bytes: () => encodeSay({ requestId: "say-2", channel: "zone", text: "공지: 3시에 시작합니다\n감사합니다" }),
    hex:
      "9506a57361792d32a47a6f6e65d92feab3b5eca7803a2033ec8b9cec979020ec8b9cec9e91ed95a9eb8b88eb8ba40a" +
      "eab090ec82aced95a9eb8b88eb8ba4c0",
  },
  {
    what: "SAY direct to the largest avatar id (uint32)",
    bytes: () => encodeSay({ requestId: "say-3", channel: "direct", text: "hi", to: 4294967295 }),
    hex: "9506a57361792d33a6646972656374a26869ceffffffff",
  },
  {
    what: "SAY of 300 Korean characters (str 16, 900 bytes)",
    bytes: () => encodeSay({ requestId: "say-4", text: "가".repeat(300) }),
    hex: "9506a57361792d34a46e656172da0384" + "eab080".repeat(300) + "c0",
  },
  {
    what: "BLOCK",
    bytes: () => encodeBlock({ requestId: "blk-1", avatar: 17, blocked: true }),
    hex: "9407a5626c6b2d3111c3",
  },
  {
    what: "BLOCK lifted, avatar 70000 (uint32)",
    bytes: () => encodeBlock({ requestId: "blk-2", avatar: 70000, blocked: false }),
    hex: "9407a5626c6b2d32ce00011170c2",
  },
  {
    what: "REPORT with a tab inside a trimmed reason (Report('rep-1', 17, '욕설 \\t반복'))",
    bytes: () => encodeReport({ requestId: "rep-1", avatar: 17, reason: " 욕설 \t반복 " }),
    hex: "9408a57265702d3111aeec9a95ec84a42009ebb098ebb3b5",
  },
  {
    what: "ZONE request with nested data",
    bytes: () =>
      encodeZone({
        requestId: "zr-1",
        type: "poll.vote",
        data: { poll: 3, choice: "yes", weight: 0.5, tags: ["a", null, true], nested: { x: -1 } },
      }),
    hex:
      "9409a47a722d31a9706f6c6c2e766f746585a4706f6c6c03a663686f696365a3796573a6776569676874cb3fe0000000000000" +
      "a47461677393a161c0c3a66e657374656481a178ff",
  },
  {
    what: "ZONE message wanting no answer (request id nil)",
    bytes: () => encodeZone({ type: "stamp_tour.check-in" }),
    hex: "9409c0b37374616d705f746f75722e636865636b2d696e80",
  },
];

describe("chat, block, report and zone messages the server accepts", () => {
  for (const fixture of ACCEPTED) {
    it(fixture.what, () => assert.equal(hex(fixture.bytes()), fixture.hex));
  }

  it("refuses what the server would refuse, before it costs the abuse budget", () => {
    const say = { requestId: "s1", channel: "near", text: "hi" };
    assert.deepEqual(CHAT_CHANNELS, ["near", "zone", "direct"]);
    assert.throws(() => encodeSay({ ...say, text: "   " }), RangeError);
    assert.throws(() => encodeSay({ ...say, text: 7 }), TypeError);
    assert.throws(() => encodeSay({ ...say, text: "가".repeat(MAX_CHAT_CHARS + 1) }), RangeError);
    assert.ok(encodeSay({ ...say, text: ` ${"가".repeat(MAX_CHAT_CHARS)} ` }));
    assert.throws(() => encodeSay({ ...say, text: "a\u0007b" }), RangeError); // bell
    assert.throws(() => encodeSay({ ...say, text: "a\u001bb" }), RangeError); // escape
    assert.throws(() => encodeSay({ ...say, text: "a\u2028b" }), RangeError); // line separator
    assert.throws(() => encodeSay({ ...say, text: "a\u0085b" }), RangeError); // C1
    assert.throws(() => encodeSay({ ...say, channel: "shout" }), RangeError);
    assert.throws(() => encodeSay({ ...say, channel: "direct" }), RangeError); // no `to`
    assert.throws(() => encodeSay({ ...say, channel: "direct", to: 0 }), RangeError);
    assert.throws(() => encodeSay({ ...say, to: 5 }), RangeError); // `to` only for direct
    assert.throws(() => encodeSay({ ...say, requestId: "renew" }), RangeError);
    assert.throws(() => encodeSay({ ...say, requestId: "" }), TypeError);
    assert.throws(() => encodeBlock({ requestId: "b", avatar: -1 }), RangeError);
    assert.throws(() => encodeBlock({ requestId: "b", avatar: 2 ** 32 }), RangeError);
    assert.throws(() => encodeBlock({ requestId: "b", avatar: 3, blocked: 1 }), TypeError);
    assert.throws(() => encodeReport({ requestId: "r", avatar: 3, reason: "" }), RangeError);
    assert.throws(() => encodeReport({ requestId: "r", avatar: 3, reason: "x".repeat(501) }), RangeError);
    assert.throws(() => encodeZone({ type: "Poll.vote" }), RangeError);
    assert.throws(() => encodeZone({ type: "9lives" }), RangeError);
    assert.throws(() => encodeZone({ type: "a".repeat(41) }), RangeError);
    assert.throws(() => encodeZone({ type: "ok", data: [1, 2] }), TypeError);
    assert.throws(() => encodeZone({ type: "ok", data: { blob: "x".repeat(5000) } }), RangeError);
  });
});

describe("decodeServer of CHAT, ZONE_EVENT and ENTER_ZONE", () => {
  it("CHAT heard from someone near", () => {
    // encode_chat({"id": 7, "channel": "near", "from": 17, "name": "이웃", "text": "안녕하세요",
    //   "time": 1767193200.5})
    const chat = decodeServer(
      bytes(
        "924786a2696407a76368616e6e656ca46e656172a466726f6d11a46e616d65a6ec9db4ec9b83a474657874afec9588eb8595" +
          "ed9598ec84b8ec9a94a474696d65cb41da554e9c200000",
      ),
    );
    assert.deepEqual(
      { ...chat, info: undefined },
      {
        type: "chat",
        id: 7,
        channel: "near",
        from: 17,
        name: "이웃",
        text: "안녕하세요",
        time: 1767193200.5,
        to: null,
        requestId: null,
        info: undefined,
      },
    );
  });

  it("CHAT: the speaker's own direct line with its request id", () => {
    const chat = decodeServer(
      bytes(
        "924788a2696408a76368616e6e656ca6646972656374a466726f6d10a46e616d65a3417261a474657874a26869a474696d65" +
          "cb41da554e9c400000a2746f11aa726571756573745f6964a57361792d33",
      ),
    );
    assert.equal(chat.channel, "direct");
    assert.equal(chat.from, 16);
    assert.equal(chat.to, 17);
    assert.equal(chat.requestId, "say-3");
    assert.equal(chat.time, 1767193201);
  });

  it("ZONE_EVENT travel.refused", () => {
    assert.deepEqual(decodeServer(bytes(travel.ara[0])), {
      type: "zoneEvent",
      zone: "hall",
      event: "travel.refused",
      data: { zone: "garden", reason: "the garden is closed tonight" },
    });
  });

  it("ENTER_ZONE through a portal, as the city sends it", () => {
    const enter = travel.mina.map((m) => decodeServer(bytes(m.message))).find((m) => m.type === "enterZone");
    assert.equal(enter.avatarId, travel.ids.Mina);
    assert.equal(enter.via, "to_hall");
    assert.ok(enter.seqFloor >= 1024);
    assert.equal(enter.notice, null);
    assert.deepEqual(enter.zone, {
      name: "hall",
      title: { ko: "HALL", en: "Hall" },
      origin: [-50, -5, -50],
      size: [100, 25, 100],
    });
    assert.deepEqual(enter.instance, { zone: "hall", number: 1 });
    assert.deepEqual(enter.position, [-10, 0, 4]);
    assert.equal(enter.yaw, 1.5);
    assert.equal(enter.quantum, 0.03125);
    assert.equal(enter.resumed, false);
    const welcome = decodeServer(bytes(travel.mina[0].message));
    assert.equal(welcome.type, "welcome");
    assert.deepEqual(welcome.instance, { zone: "plaza", number: 1 });
  });

  it("refuses CHAT, ZONE_EVENT and ENTER_ZONE that break the contract", () => {
    const refuses = (value) =>
      assert.throws(
        () => decodeServer(value),
        (error) => error instanceof ProtocolError && error.code === ErrorCode.MALFORMED,
      );
    refuses(bytes("9247a3616263")); // CHAT info not a map
    refuses(bytes("924781a2696407")); // CHAT without channel, from, name, text, time
    refuses(bytes("9348a161a162")); // ZONE_EVENT missing data
    refuses(bytes("944801a162c0")); // ZONE_EVENT zone not a string
    refuses(bytes("924980")); // ENTER_ZONE without zone and quantum
  });
});

// -- the live check, with the repository's own Python --------------------------------------------

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const python = `${root}.venv/bin/python`;

const CROSS_CHECK = `
import json, sys
from dataclasses import asdict
from world.codec import decode_client, encode_client
from world.codec_social import encode_chat, encode_enter_zone, encode_zone_event
job = json.load(sys.stdin)
out = {"client": [], "server": []}
for text in job["client"]:
    data = bytes.fromhex(text)
    message = decode_client(data)
    out["client"].append({"kind": type(message).__name__, "fields": asdict(message),
                          "same": encode_client(message) == data})
out["server"].append(encode_chat(job["chat"]).hex())
out["server"].append(encode_zone_event("tourism", "stamp.added", {"count": 3}).hex())
out["server"].append(encode_enter_zone(job["enter"]).hex())
print(json.dumps(out, ensure_ascii=False))
`;

describe("the server's Python codec, run live", () => {
  it("decodes every new encoder's bytes and re-encodes them byte for byte", (t) => {
    if (!existsSync(python)) {
      t.skip("no .venv/bin/python in the repository");
      return;
    }
    const sent = [
      encodeSay({ requestId: "live-1", text: "\t서울광장에서 만나요 🎉\n" }),
      encodeSay({ requestId: "live-2", channel: "zone", text: "10분 뒤 시작" }),
      encodeSay({ requestId: "live-3", channel: "direct", text: "안녕", to: 65 }),
      encodeBlock({ requestId: "live-4", avatar: 65 }),
      encodeBlock({ requestId: "live-5", avatar: 65, blocked: false }),
      encodeReport({ requestId: "live-6", avatar: 65, reason: "광고 도배" }),
      encodeZone({ requestId: "live-7", type: "proposal.submit", data: { title: "벤치", body: "더 많이", n: 2.5 } }),
      encodeZone({ type: "tour.join", data: { bus: 1 } }),
    ];
    const job = {
      client: sent.map(hex),
      chat: { id: 9, channel: "zone", from: 70, name: "안내원", text: "환영합니다", time: 1767193300.25 },
      enter: {
        protocol: "plaza.v1",
        avatar_id: 64,
        resumed: false,
        position: [1.5, 0.0, -2.0],
        yaw: 3.0,
        server_time: 1767193300.5,
        tick: 500,
        tick_rate: 20.0,
        zone: { name: "tourism", title: { ko: "관광", en: "Tourism" }, origin: [-300, -10, -300], size: [600, 60, 600] },
        quantum: 0.03125,
        max_visible: 50,
        view_radius: 60.0,
        limits: { max_frame_bytes: 4096 },
        instance: { zone: "tourism", number: 2 },
        via: "kick",
        seq_floor: 2000,
        notice: "행사가 끝났습니다",
      },
    };
    const run = spawnSync(python, ["-c", CROSS_CHECK], {
      cwd: root,
      input: JSON.stringify(job),
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: root },
    });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(
      out.client.map((c) => c.kind),
      ["Say", "Say", "Say", "Block", "Block", "Report", "ZoneRequest", "ZoneRequest"],
    );
    for (const c of out.client) assert.ok(c.same, JSON.stringify(c));
    assert.deepEqual(out.client[0].fields, { request_id: "live-1", channel: "near", text: "서울광장에서 만나요 🎉", to: null });
    assert.deepEqual(out.client[2].fields, { request_id: "live-3", channel: "direct", text: "안녕", to: 65 });
    assert.deepEqual(out.client[4].fields, { request_id: "live-5", avatar: 65, blocked: false });
    assert.deepEqual(out.client[5].fields, { request_id: "live-6", avatar: 65, reason: "광고 도배" });
    assert.deepEqual(out.client[6].fields.data, { title: "벤치", body: "더 많이", n: 2.5 });
    assert.equal(out.client[7].fields.request_id, null);

    const [chat, event, enter] = out.server.map((h) => decodeServer(bytes(h)));
    assert.equal(chat.type, "chat");
    assert.deepEqual([chat.id, chat.channel, chat.from, chat.name, chat.text], [9, "zone", 70, "안내원", "환영합니다"]);
    assert.deepEqual(event, { type: "zoneEvent", zone: "tourism", event: "stamp.added", data: { count: 3 } });
    assert.equal(enter.type, "enterZone");
    assert.deepEqual([enter.via, enter.seqFloor, enter.notice], ["kick", 2000, "행사가 끝났습니다"]);
    assert.deepEqual(enter.instance, { zone: "tourism", number: 2 });
    assert.deepEqual(enter.zone.origin, [-300, -10, -300]);
  });
});
