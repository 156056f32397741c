// The 120 Center pages' DOM-free parts (src/center_pages/): their words, what a ticket,
// its history and the figures look like in Korean and English, and the HTTP client: one
// idempotency key per ticket meant, sent again on every retry after a network error or a 503.
// Also the console's "At my desk in 3D" presence, with a fake world connection.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, CenterApi, TakeIntent, takeNumber } from "../src/center_pages/api.js";
import {
  KEY_PATTERN,
  canLeave,
  canMessage,
  canRate,
  categoryLabel,
  claimsOf,
  dashboardRows,
  duration,
  errorText,
  eventText,
  messagesOf,
  newKey,
  notesOf,
  pickTicket,
  positionText,
  queueRows,
  retriable,
  starRows,
  starText,
  starsLabel,
  stateLabel,
  statusLabel,
  ticketTitle,
  waitEstimate,
} from "../src/center_pages/format.js";
import {
  CENTER_ZONE,
  DeskPresence,
  PRESENCE_RETRY_MS,
  presenceLine,
  presenceWanted,
  storePresenceWanted,
} from "../src/center_pages/presence.js";
import { CENTER_KEYS, CENTER_LOCALES, CENTER_TABLE, centerLocale, ct } from "../src/center_pages/texts.js";

const TICKET = {
  id: 17,
  citizen: "guest:minji",
  citizen_name: "Minji",
  category: "tax",
  description: "My property tax bill",
  needs: ["large_text"],
  state: "waiting",
  position: 3,
  wait_s: 540,
  assigned_to: null,
  staff_name: null,
  desk: null,
  resolution: null,
  rating: null,
  callback: false,
  contact: null,
  created_at: 1795000000,
};

/** A fetch that answers from a list of responses (or throws a network error for "network"). */
function fakeFetch(answers) {
  const calls = [];
  const impl = async (path, init) => {
    calls.push({ path, ...init, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const answer = answers.shift();
    if (answer === "network") throw new TypeError("Failed to fetch");
    const [status, body] = answer;
    return {
      ok: status >= 200 && status < 300,
      status,
      text: async () => (body === undefined ? "" : JSON.stringify(body)),
      json: async () => body,
    };
  };
  return { impl, calls };
}

test("every text is written in Korean and English, with the same placeholders", () => {
  assert.deepEqual(CENTER_LOCALES, ["ko", "en"]);
  for (const key of CENTER_KEYS) {
    const entry = CENTER_TABLE[key];
    for (const locale of CENTER_LOCALES) assert.ok(entry[locale], `${key} has no ${locale}`);
    const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(holes(entry.ko), holes(entry.en), key);
  }
  assert.equal(ct("en", "ticketNumber", { id: 17 }), "Ticket 17");
  assert.equal(ct("ko", "ticketNumber", { id: 17 }), "번호표 17번");
  // Japanese and Chinese readers get the English; unknown keys are shown as they are.
  assert.equal(centerLocale("ja"), "en");
  assert.equal(centerLocale("ko-KR"), "ko");
  assert.equal(ct("zh", "takeNumber"), "Take a number");
  assert.equal(ct("en", "no_such_key"), "no_such_key");
});

test("categories, needs, states and statuses have names; a deployment's own stay as they are", () => {
  assert.equal(categoryLabel("tax", "ko"), "세금");
  assert.equal(categoryLabel("welfare", "en"), "Welfare");
  assert.equal(categoryLabel("parking", "en"), "parking");
  assert.equal(stateLabel("in_consultation", "en"), "In consultation");
  assert.equal(statusLabel("on_break", "ko"), "휴식 중");
  assert.equal(ticketTitle({ id: 4, callback: true }, "en"), "Callback request 4");
  assert.equal(starText(4), "★★★★☆");
  assert.equal(starsLabel(1, "en"), "1 star");
  assert.equal(starsLabel(4, "en"), "4 stars");
  assert.equal(starsLabel(4, "ko"), "별 4개");
});

test("durations, wait estimates and places in line read naturally", () => {
  assert.equal(duration(30, "en"), "under a minute");
  assert.equal(duration(30, "en", { exact: true }), "30 s");
  assert.equal(duration(540, "en"), "9 min");
  assert.equal(duration(3900, "en"), "1 h 5 min");
  assert.equal(duration(7200, "ko"), "2시간");
  assert.equal(duration(3900, "ko"), "1시간 5분");
  assert.equal(duration(null, "en"), "—");
  assert.equal(duration(-1, "en"), "—");
  assert.equal(waitEstimate(540, "en"), "about 9 min");
  assert.equal(waitEstimate(540, "ko"), "약 9분");
  assert.equal(waitEstimate(10, "en"), "under a minute");
  assert.equal(waitEstimate(null, "en"), "—");
  assert.equal(positionText(1, "en"), "You are next");
  assert.equal(positionText(3, "en"), "Number 3 in line (2 ahead of you)");
  assert.equal(positionText(3, "ko"), "3번째 (앞에 2명)");
  assert.equal(positionText(null, "en"), "—");
});

test("what a citizen may do depends on the ticket's state", () => {
  assert.ok(canLeave(TICKET) && !canMessage(TICKET) && !canRate(TICKET));
  const called = { ...TICKET, state: "called", desk: 2 };
  assert.ok(canLeave(called) && canMessage(called));
  const talking = { ...TICKET, state: "in_consultation" };
  assert.ok(!canLeave(talking) && canMessage(talking));
  const closed = { ...TICKET, state: "closed" };
  assert.ok(canRate(closed) && !canMessage(closed));
  assert.ok(!canRate({ ...closed, rating: 5 }));
});

test("the page shows the chosen ticket, else the newest open one, else one to rate", () => {
  const open = { ...TICKET, id: 3 };
  const toRate = { ...TICKET, id: 2, state: "closed" };
  const old = { ...TICKET, id: 1, state: "closed", rating: 4 };
  assert.equal(pickTicket([open, toRate, old], null).id, 3);
  assert.equal(pickTicket([toRate, old], null).id, 2);
  assert.equal(pickTicket([old], null), null);
  assert.equal(pickTicket([open, toRate, old], 1).id, 1);
  assert.equal(pickTicket([open], 99).id, 3); // a chosen ticket no longer listed
  assert.equal(pickTicket([], null), null);
});

test("a ticket's history and conversation, as the server writes its events", () => {
  const ticket = {
    ...TICKET,
    state: "in_consultation",
    staff_name: "Kim",
    desk: 2,
    events: [
      { id: 1, at: 1, actor: "guest:minji", kind: "created", detail: { category: "tax", needs: [], callback: false } },
      { id: 2, at: 2, actor: "local:kim", kind: "called", detail: { desk: 2, name: "Kim" } },
      { id: 3, at: 3, actor: "local:kim", kind: "message", detail: { text: "Hello, how can I help?", name: "Kim" } },
      { id: 4, at: 4, actor: "guest:minji", kind: "message", detail: { text: "About my bill", name: "Minji" } },
      { id: 5, at: 5, actor: "local:kim", kind: "note", detail: { text: "check the 2025 bill" } },
      {
        id: 6,
        at: 6,
        actor: "local:kim",
        kind: "transferred",
        detail: { from_category: "tax", to_category: "housing", note: "theirs" },
      },
      { id: 7, at: 7, actor: "local:lee", kind: "transferred", detail: { from_staff: "local:lee", to_staff: "local:park", to_name: "Park" } },
      { id: 8, at: 8, actor: "local:kim", kind: "closed", detail: { resolution: "Bill corrected" } },
      { id: 9, at: 9, actor: "guest:minji", kind: "rated", detail: { stars: 5, comment: "Quick" } },
      { id: 10, at: 10, actor: "guest:minji", kind: "cancelled", detail: { was: "waiting" } },
      { id: 11, at: 11, actor: "system", kind: "purged", detail: {} },
      { id: 12, at: 12, actor: "system", kind: "something_new", detail: {} },
    ],
  };
  const lines = ticket.events.map((event) => eventText(event, ticket, "en", "guest:minji"));
  assert.deepEqual(lines, [
    "Took a number (Tax)",
    "Called to desk 2 (Kim)",
    "Kim: Hello, how can I help?",
    "You: About my bill",
    "Internal note: check the 2025 bill",
    "Transferred to Housing — theirs",
    "Transferred to Park",
    "Closed: Bill corrected",
    "Rated 5 stars — Quick",
    "Cancelled",
    "Texts erased after the retention period",
    "something_new",
  ]);
  assert.equal(eventText(ticket.events[1], ticket, "ko"), "2번 창구에서 호출했습니다 (Kim)");
  assert.equal(
    eventText({ kind: "created", detail: { category: "tax", callback: true } }, ticket, "en"),
    "Asked for a callback (Tax)",
  );

  const talk = messagesOf(ticket, "en", "guest:minji");
  assert.deepEqual(
    talk.map((line) => [line.id, line.author, line.mine, line.fromCitizen, line.text]),
    [
      [3, "Kim", false, false, "Hello, how can I help?"],
      [4, "You", true, true, "About my bill"],
    ],
  );
  // The civil servant's view: their own lines are "You", the citizen's carry the name.
  const staffView = messagesOf(ticket, "en", "local:kim");
  assert.deepEqual(staffView.map((line) => line.author), ["You", "Minji"]);
  assert.deepEqual(notesOf(ticket, "en", "local:kim").map((n) => n.text), ["check the 2025 bill"]);
  assert.deepEqual(messagesOf({ ...TICKET }, "en", null), []);
});

test("queues are listed in the center's order, with any other category after", () => {
  const rows = queueRows(
    { tax: { waiting: 4, callbacks: 1, oldest_wait_s: 310.5, wait_s: 600 }, parking: { waiting: 1 } },
    ["transport", "tax"],
    "en",
  );
  assert.deepEqual(
    rows.map((r) => [r.category, r.label, r.waiting, r.callbacks, r.oldest]),
    [
      ["transport", "Transport", 0, 0, null],
      ["tax", "Tax", 4, 1, 310.5],
      ["parking", "parking", 1, 0, null],
    ],
  );
});

test("the dashboard's rows from GET /api/center/stats", () => {
  const stats = {
    since: 1795000000,
    waiting: { tax: 4, transport: 2 },
    callbacks_waiting: 1,
    wait_s: { p50: 120, p90: 600, p99: 900, count: 40 },
    handling_s: { p50: 240, p90: null, p99: null, count: 1 },
    satisfaction: { mean: 4.44, count: 20, stars: { 1: 0, 2: 1, 3: 2, 4: 5, 5: 12 } },
    tickets: { created: 50, closed: 38, cancelled: 2 },
    per_staff: [{ subject: "local:kim", name: "Kim", called: 12, closed: 10, handling_p50_s: 240, rating_mean: null }],
    staff: { available: 3, busy: 5, on_break: 1, offline: 2 },
  };
  const rows = dashboardRows(stats, "en", ["transport", "tax", "welfare"]);
  assert.deepEqual(rows.summary, [
    ["Waiting now", "6"],
    ["Callbacks waiting", "1"],
    ["Taken today", "50"],
    ["Closed today", "38"],
    ["Cancelled today", "2"],
    ["Satisfaction", "4.4 / 5"],
  ]);
  assert.deepEqual(
    rows.waiting.map((r) => [r.label, r.count, r.share]),
    [
      ["Transport", 2, 0.5],
      ["Tax", 4, 1],
      ["Welfare", 0, 0],
    ],
  );
  assert.deepEqual(rows.times, [
    ["Wait", "2 min", "10 min", "15 min", "40"],
    ["Handling", "4 min", "—", "—", "1"],
  ]);
  assert.equal(rows.satisfaction.text, "Mean 4.4 / 5 (ratings: 20)");
  assert.deepEqual(rows.satisfaction.rows.map((r) => [r.stars, r.count]), [[5, 12], [4, 5], [3, 2], [2, 1], [1, 0]]);
  assert.equal(rows.satisfaction.rows[0].share, 0.6);
  assert.deepEqual(rows.staff, [["Available", "3"], ["Busy", "5"], ["On break", "1"], ["Offline", "2"]]);
  assert.deepEqual(rows.perStaff, [["Kim", "12", "10", "4 min", "—"]]);
  // An empty day: nothing to divide by, no ratings.
  const empty = dashboardRows({}, "ko");
  assert.equal(empty.satisfaction.text, "아직 평가가 없습니다");
  assert.deepEqual(starRows({}).map((r) => r.share), [0, 0, 0, 0, 0]);
});

test("idempotency keys fit the API's pattern and differ", () => {
  const keys = new Set(Array.from({ length: 50 }, () => newKey()));
  assert.equal(keys.size, 50);
  for (const key of keys) assert.match(key, KEY_PATTERN);
  assert.match(newKey(null), KEY_PATTERN); // without crypto.randomUUID
});

test("one key per ticket meant: kept after a network error or a 503, dropped after an answer", () => {
  let n = 0;
  const intent = new TakeIntent(() => `key-${++n}-abcdef`);
  assert.equal(intent.pending, false);
  const first = intent.begin();
  assert.equal(intent.begin(), first);
  intent.settle(new ApiError(0, "network_error", "Failed to fetch"));
  assert.equal(intent.begin(), first);
  intent.settle(new ApiError(503, "database_unavailable", "nothing was saved"));
  assert.ok(intent.pending);
  assert.equal(intent.begin(), first);
  intent.settle(null); // the ticket was taken
  assert.notEqual(intent.begin(), first);
  intent.settle(new ApiError(409, "conflict", "the center is closed now"));
  assert.equal(intent.pending, false);
  assert.ok(retriable(new ApiError(503, "x", "")) && retriable(new ApiError(0, "x", "")));
  assert.ok(!retriable(new ApiError(400, "bad_request", "")) && !retriable(new ApiError(403, "forbidden", "")));
});

test("taking a number retries with the same key, and a second press sends it again", async () => {
  const { impl, calls } = fakeFetch([
    "network",
    [503, { error: "database_unavailable", reason: "database unavailable; nothing was saved" }],
    [201, { ...TICKET }],
    [201, { ...TICKET, id: 18 }],
  ]);
  const api = new CenterApi("token-1", { fetch: impl, remember: false });
  const intent = new TakeIntent();
  const retries = [];
  const body = { category: "tax", description: "My property tax bill", needs: ["large_text"] };
  const ticket = await takeNumber(api, body, intent, {
    sleep: async () => {},
    onRetry: (attempt) => retries.push(attempt),
  });
  assert.equal(ticket.id, 17);
  assert.deepEqual(retries, [2, 3]);
  assert.equal(calls.length, 3);
  const keys = calls.map((call) => call.body.key);
  assert.equal(new Set(keys).size, 1);
  assert.match(keys[0], KEY_PATTERN);
  for (const call of calls) {
    assert.equal(call.path, "/api/center/tickets");
    assert.equal(call.method, "POST");
    assert.equal(call.headers.Authorization, "Bearer token-1");
    assert.deepEqual({ ...call.body, key: undefined }, { ...body, key: undefined });
  }
  // The next ticket meant gets a new key.
  await takeNumber(api, body, intent, { sleep: async () => {} });
  assert.notEqual(calls[3].body.key, keys[0]);
});

test("after the last retry fails the key is kept, so pressing again cannot make two", async () => {
  const { impl, calls } = fakeFetch(["network", "network", [201, { ...TICKET }]]);
  const api = new CenterApi("t", { fetch: impl, remember: false });
  const intent = new TakeIntent();
  const body = { category: "tax", description: "x" };
  await assert.rejects(takeNumber(api, body, intent, { attempts: 2, sleep: async () => {} }), (error) => {
    assert.equal(error.status, 0);
    assert.equal(errorText(error, "en"), "The server cannot be reached. Please try again shortly");
    return true;
  });
  assert.ok(intent.pending);
  await takeNumber(api, body, intent, { sleep: async () => {} });
  assert.equal(new Set(calls.map((call) => call.body.key)).size, 1);
  assert.equal(intent.pending, false);
});

test("a refusal is not retried, and its reason is what the user reads", async () => {
  const reason = "the center is closed now (staffed mon-fri 09:00-18:00, Asia/Seoul)";
  const { impl, calls } = fakeFetch([[409, { error: "conflict", reason }]]);
  const api = new CenterApi("t", { fetch: impl, remember: false });
  const intent = new TakeIntent();
  await assert.rejects(takeNumber(api, { category: "tax", description: "x" }, intent), (error) => {
    assert.equal(error.status, 409);
    assert.equal(error.code, "conflict");
    assert.equal(errorText(error, "en"), reason);
    return true;
  });
  assert.equal(calls.length, 1);
  assert.equal(intent.pending, false);
  assert.equal(errorText(new ApiError(503, "database_unavailable", "x"), "ko").includes("저장할 수 없습니다"), true);
});

test("the client's calls and their paths", async () => {
  const answers = [
    [200, { tickets: [TICKET] }],
    [200, { ...TICKET, events: [] }],
    [200, { ...TICKET, state: "cancelled" }],
    [200, { ...TICKET, rating: 5 }],
    [201, { id: 9, kind: "message" }],
    [200, { ticket: null }],
    [201, { id: 10, kind: "note" }],
    [200, TICKET],
    [200, TICKET],
    [200, TICKET],
    [200, { subject: "s", status: "available" }],
    [200, {}],
    [200, {}],
    [200, { categories: [] }],
  ];
  const { impl, calls } = fakeFetch(answers);
  const api = new CenterApi("tok", { fetch: impl, remember: false });
  assert.deepEqual(await api.mine(), [TICKET]);
  await api.ticket(17);
  await api.cancel(17);
  await api.rate(17, 5, "");
  await api.message(17, "hello");
  assert.equal(await api.callNext(), null);
  await api.note(17, "internal");
  await api.transfer(17, { category: "housing", note: "theirs" });
  await api.transfer(17, { toStaff: "local:lee" });
  await api.close(17, "done");
  await api.staff({ status: "available", skills: ["tax"] });
  await api.console();
  await api.stats();
  await api.info();
  assert.deepEqual(
    calls.map((c) => [c.method, c.path, c.body]),
    [
      ["GET", "/api/center/tickets/mine", undefined],
      ["GET", "/api/center/tickets?id=17", undefined],
      ["POST", "/api/center/tickets/cancel", { id: 17 }],
      ["POST", "/api/center/tickets/rate", { id: 17, stars: 5 }],
      ["POST", "/api/center/tickets/message", { id: 17, text: "hello" }],
      ["POST", "/api/center/call-next", {}],
      ["POST", "/api/center/tickets/note", { id: 17, text: "internal" }],
      ["POST", "/api/center/tickets/transfer", { id: 17, category: "housing", note: "theirs" }],
      ["POST", "/api/center/tickets/transfer", { id: 17, to_staff: "local:lee" }],
      ["POST", "/api/center/tickets/close", { id: 17, resolution: "done" }],
      ["POST", "/api/center/staff", { status: "available", skills: ["tax"] }],
      ["GET", "/api/center/console", undefined],
      ["GET", "/api/center/stats", undefined],
      ["GET", "/api/center/info", undefined],
    ],
  );
  assert.ok(calls.every((c) => c.headers.Authorization === "Bearer tok"));
});

test("a token's claims are read (unverified) to greet the user", () => {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const token = `${encode({ alg: "EdDSA" })}.${encode({ sub: "local:김", name: "김주무관", role: "staff" })}.sig`;
  assert.deepEqual(claimsOf(token), { sub: "local:김", name: "김주무관", role: "staff" });
  assert.equal(claimsOf("not a token"), null);
  assert.equal(claimsOf(null), null);
});

// -- "At my desk in 3D" ------------------------------------------------------------------------

test("the presence line says where the avatar is", () => {
  const line = (presence) => {
    const { key, values } = presenceLine({ enabled: true, phase: "joined", zone: CENTER_ZONE, desk: 3, ...presence });
    return ct("en", key, values);
  };
  assert.equal(line({}), "Your avatar is at desk 3 in the 120 Center");
  assert.equal(line({ zone: "seoul_plaza" }), "Your avatar is not in the 3D center");
  assert.equal(line({ desk: null }), "Your avatar is in the 120 Center");
  assert.equal(line({ phase: "connecting", zone: null }), "Connecting your avatar to the 3D center…");
  assert.equal(line({ enabled: false }), "Your avatar is not in the 3D center");
  assert.equal(
    line({ phase: "idle", zone: null, desk: null }),
    "Your avatar is not in the 3D center; it takes its seat once you have a desk",
  );
  assert.match(line({ phase: "replaced", zone: null }), /another window is using it/);
  assert.equal(line({ phase: "failed", zone: null, reason: "banned" }), "Your avatar is not in the 3D center: banned");
  const { key, values } = presenceLine({ enabled: true, phase: "joined", zone: CENTER_ZONE, desk: 2 });
  assert.equal(ct("ko", key, values), "내 아바타가 120 센터 2번 창구에 앉아 있습니다");
});

test("the toggle is on unless this device turned it off", () => {
  const stored = new Map();
  const storage = {
    getItem: (k) => stored.get(k) ?? null,
    setItem: (k, v) => stored.set(k, v),
    removeItem: (k) => stored.delete(k),
  };
  assert.equal(presenceWanted(storage), true);
  storePresenceWanted(false, storage);
  assert.equal(presenceWanted(storage), false);
  storePresenceWanted(true, storage);
  assert.equal(presenceWanted(storage), true);
  assert.equal(presenceWanted(undefined), true);
});

/** A world connection that records what the presence asks and lets the test play the server. */
class FakeConnection extends EventTarget {
  constructor(tokenSource) {
    super();
    this.tokenSource = tokenSource;
    this.token = "";
    this.connected = null;
    this.closed = null;
  }
  connect(url, token) {
    this.token = token;
    this.connected = { url, token };
    return new Promise(() => {});
  }
  close(code, reason) {
    this.closed = { code, reason };
  }
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
  arrive(zone, type = "welcome") {
    this.emit(type, { zone: { name: zone } });
  }
}

/** A JWT-shaped token (unsigned) that expires `s` seconds from now. */
function tokenFor(name, s) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none" })}.${encode({ sub: name, exp: Date.now() / 1000 + s })}.sig`;
}

function presenceSetup({ access = async () => ({ role: "staff" }) } = {}) {
  const made = [];
  const seats = [];
  const tokens = [];
  const timers = new Map();
  let nextTimer = 1;
  const held = { token: tokenFor("local:kim", 900) };
  const presence = new DeskPresence({
    getToken: () => held.token,
    onToken: (token) => tokens.push(token),
    onSeat: () => seats.push(presence.zone),
    deps: {
      checkAccess: access,
      fetchConfig: async () => ({ ws_url: "/ws" }),
      refreshToken: async () => tokenFor("local:kim", 900),
      newConnection: (tokenSource) => {
        const connection = new FakeConnection(tokenSource);
        made.push(connection);
        return connection;
      },
      setTimeout: (fn, ms) => {
        const id = nextTimer++;
        timers.set(id, { fn, ms });
        return id;
      },
      clearTimeout: (id) => timers.delete(id),
    },
  });
  return { presence, made, seats, tokens, timers, held };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("the avatar joins while the box is ticked and the user has a desk, and is seated once", async () => {
  const { presence, made, seats, held } = presenceSetup();
  presence.update({ enabled: true, desk: null });
  await settle();
  assert.equal(made.length, 0, "no desk, no avatar");
  assert.equal(presence.line().key, "presenceNoDesk");

  presence.update({ desk: 2 });
  assert.equal(presence.line().key, "presenceConnecting");
  await settle();
  assert.equal(made.length, 1);
  const connection = made[0];
  assert.deepEqual(connection.connected, { url: "/ws", token: held.token });
  // A console refresh while connecting opens nothing more.
  presence.update({ desk: 2 });
  await settle();
  assert.equal(made.length, 1);

  // Joined at the entrance: the console is asked once to seat it.
  connection.arrive("seoul_plaza");
  await settle();
  assert.deepEqual(seats, ["seoul_plaza"]);
  assert.equal(presence.line().key, "presenceAway");
  presence.update({ desk: 2 });
  await settle();
  assert.equal(seats.length, 1, "one seating per arrival");

  // The server moved it to the desk.
  connection.arrive(CENTER_ZONE, "enterzone");
  await settle();
  assert.deepEqual(presence.line(), { key: "presenceAtDesk", values: { n: 2 } });
  assert.equal(seats.length, 1);

  // A drop and a reconnect back in the center: "connecting…", then at the desk again.
  connection.emit("close", { code: 1006, reason: "", willReconnect: true });
  assert.equal(presence.line().key, "presenceConnecting");
  connection.arrive(CENTER_ZONE);
  assert.equal(presence.line().key, "presenceAtDesk");

  // Turned off: closed with 1000 (the avatar leaves at once); on again: a new connection.
  presence.update({ enabled: false });
  assert.equal(connection.closed.code, 1000);
  assert.equal(presence.line().key, "presenceAway");
  connection.emit("close", { code: 1000, reason: "", willReconnect: false });
  assert.equal(presence.phase, "idle");
  presence.update({ enabled: true });
  await settle();
  assert.equal(made.length, 2);

  // Going offline gives the desk back: the avatar leaves.
  presence.update({ desk: null });
  assert.equal(made[1].closed.code, 1000);
  assert.equal(presence.line().key, "presenceNoDesk");
});

test("an avatar taken by another window is left there until the box is ticked again", async () => {
  const { presence, made } = presenceSetup();
  presence.update({ enabled: true, desk: 1 });
  await settle();
  made[0].arrive(CENTER_ZONE);
  made[0].emit("close", { code: 4006, reason: "signed in on another connection", willReconnect: false });
  assert.equal(presence.line().key, "presenceReplaced");
  presence.update({ desk: 1 });
  await settle();
  assert.equal(made.length, 1);
  presence.update({ enabled: false });
  presence.update({ enabled: true });
  await settle();
  assert.equal(made.length, 2);
});

test("a refused sign-in is shown; a server away is tried again later", async () => {
  const refused = Object.assign(new Error("banned"), { status: 403, reason: "you are banned" });
  let answer = refused;
  const { presence, made, timers } = presenceSetup({
    access: async () => {
      if (answer) throw answer;
      return { role: "staff" };
    },
  });
  presence.update({ enabled: true, desk: 1 });
  await settle();
  assert.equal(made.length, 0);
  assert.deepEqual(presence.line(), { key: "presenceFailed", values: { reason: "you are banned" } });

  answer = Object.assign(new TypeError("Failed to fetch"), {});
  presence.update({ enabled: false });
  presence.update({ enabled: true });
  await settle();
  assert.equal(made.length, 0);
  const [retry] = [...timers.values()];
  assert.equal(retry.ms, PRESENCE_RETRY_MS);
  answer = null;
  retry.fn();
  await settle();
  assert.equal(made.length, 1);

  // The connection gave up after its reconnects: tried again later too.
  made[0].emit("close", { code: 1006, reason: "", willReconnect: false });
  assert.equal(presence.phase, "idle");
  assert.equal([...timers.values()].at(-1).ms, PRESENCE_RETRY_MS);
});

test("the connection renews with the console's fresher token, or a fresh one it hands back", async () => {
  const { presence, made, tokens, held } = presenceSetup();
  presence.update({ enabled: true, desk: 1 });
  await settle();
  const connection = made[0];
  connection.token = tokenFor("local:kim", 50);
  held.token = tokenFor("local:kim", 800);
  assert.equal(await connection.tokenSource(), held.token);
  assert.deepEqual(tokens, []);
  held.token = connection.token;
  const fresh = await connection.tokenSource();
  assert.notEqual(fresh, held.token);
  assert.deepEqual(tokens, [fresh]);
});
