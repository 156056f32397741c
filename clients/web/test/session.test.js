// The bearer-token client the staff pages share (src/session.js BearerClient): renewing the
// token near its expiry, one renewal for concurrent calls, and the errors it throws; and the
// texts those pages share (src/pages_texts.js). Against a fake fetch; no server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CenterApi } from "../src/center_pages/api.js";
import { CENTER_TABLE, ct } from "../src/center_pages/texts.js";
import { EventsApi } from "../src/events_pages/api.js";
import { EVENTS_TABLE, et } from "../src/events_pages/texts.js";
import { PAGE_STRINGS, pageText } from "../src/pages_texts.js";
import { ApiError, BearerClient, RENEW_BEFORE_S } from "../src/session.js";

/** A JWT-shaped token (unsigned) that expires `s` seconds from now. */
function tokenFor(name, s) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none" })}.${encode({ sub: name, exp: Date.now() / 1000 + s })}.sig`;
}

/**
 * A fetch that answers /api/auth/refresh with `fresh` (after `gate` resolves, if given) and
 * every other path with `answer(path)`: [status, body-text] or "network".
 */
function fakeFetch({ fresh = null, gate = null, answer = () => [200, "{}"] } = {}) {
  const calls = [];
  const impl = async (path, init) => {
    calls.push({ path, method: init.method, headers: { ...init.headers }, body: init.body });
    if (path === "/api/auth/refresh") {
      if (gate) await gate;
      if (fresh === "network") throw new TypeError("Failed to fetch");
      return { ok: true, status: 200, json: async () => ({ token: fresh }) };
    }
    const reply = answer(path);
    if (reply === "network") throw new TypeError("Failed to fetch");
    const [status, text] = reply;
    return { ok: status >= 200 && status < 300, status, text: async () => text };
  };
  return { impl, calls };
}

const refreshes = (calls) => calls.filter((call) => call.path === "/api/auth/refresh");

test("a token far from expiry is sent as it is, with a JSON body", async () => {
  const token = tokenFor("local:kim", 900);
  const { impl, calls } = fakeFetch({ answer: () => [200, '{"ok":true}'] });
  const client = new BearerClient(token, { fetch: impl, remember: false });
  assert.deepEqual(await client.call("POST", "/api/x", { a: 1 }, { headers: { "Idempotency-Key": "k" } }), { ok: true });
  assert.equal(refreshes(calls).length, 0);
  assert.equal(calls[0].method, "POST");
  assert.deepEqual(calls[0].headers, {
    Authorization: `Bearer ${token}`,
    "Content-Type": "application/json",
    "Idempotency-Key": "k",
  });
  assert.equal(calls[0].body, '{"a":1}');
  // No token, no body: neither header; an empty answer is null.
  const anonymous = new BearerClient(null, { fetch: fakeFetch({ answer: () => [200, ""] }).impl, remember: false });
  assert.equal(await anonymous.call("GET", "/api/center/info"), null);
});

test("a token near expiry is renewed first, and the renewed one is sent and kept", async () => {
  const old = tokenFor("local:kim", RENEW_BEFORE_S - 30);
  const fresh = tokenFor("local:kim", 900);
  const { impl, calls } = fakeFetch({ fresh });
  const stored = new Map();
  globalThis.sessionStorage = {
    getItem: (key) => stored.get(key) ?? null,
    setItem: (key, value) => stored.set(key, value),
    removeItem: (key) => stored.delete(key),
  };
  try {
    const client = new BearerClient(old, { fetch: impl });
    await client.call("GET", "/api/x");
    assert.deepEqual(
      calls.map((call) => [call.path, call.headers.Authorization]),
      [
        ["/api/auth/refresh", `Bearer ${old}`],
        ["/api/x", `Bearer ${fresh}`],
      ],
    );
    assert.equal(client.token, fresh);
    assert.equal(stored.get("plaza.token"), fresh);
    // Not remembering: renewed for the calls, not kept for the tab.
    stored.clear();
    const quiet = new BearerClient(old, { fetch: fakeFetch({ fresh }).impl, remember: false });
    await quiet.call("GET", "/api/x");
    assert.equal(quiet.token, fresh);
    assert.equal(stored.size, 0);
  } finally {
    delete globalThis.sessionStorage;
  }
});

test("concurrent calls near expiry share one renewal", async () => {
  const old = tokenFor("local:kim", 60);
  const fresh = tokenFor("local:kim", 900);
  let open;
  const gate = new Promise((resolve) => {
    open = resolve;
  });
  const { impl, calls } = fakeFetch({ fresh, gate });
  const client = new BearerClient(old, { fetch: impl, remember: false });
  const pending = [client.call("GET", "/api/a"), client.call("GET", "/api/b"), client.call("GET", "/api/c")];
  open();
  await Promise.all(pending);
  assert.equal(refreshes(calls).length, 1);
  for (const call of calls.slice(1)) assert.equal(call.headers.Authorization, `Bearer ${fresh}`);
  // The renewal is over: a later one may run again (here the token is fresh, so none does).
  await client.call("GET", "/api/d");
  assert.equal(refreshes(calls).length, 1);
});

test("a failed renewal is swallowed and the old token used while it lasts", async () => {
  const old = tokenFor("local:kim", 60);
  const { impl, calls } = fakeFetch({ fresh: "network" });
  const client = new BearerClient(old, { fetch: impl, remember: false });
  await client.call("GET", "/api/x");
  assert.equal(client.token, old);
  assert.equal(calls.at(-1).headers.Authorization, `Bearer ${old}`);
  // A token that cannot be read (an OIDC one) is never sent to be renewed.
  const { impl: impl2, calls: calls2 } = fakeFetch();
  await new BearerClient("opaque", { fetch: impl2, remember: false }).call("GET", "/api/x");
  assert.equal(refreshes(calls2).length, 0);
});

test("errors: status 0 for the network, the server's error and reason, or its first words", async () => {
  const down = new BearerClient("t", { fetch: fakeFetch({ answer: () => "network" }).impl, remember: false });
  await assert.rejects(down.call("GET", "/api/x"), (error) => {
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code, error.reason], [0, "network_error", "Failed to fetch"]);
    return true;
  });
  const refusing = new BearerClient("t", {
    fetch: fakeFetch({ answer: () => [401, '{"error":"unauthorized","reason":"token expired"}'] }).impl,
    remember: false,
  });
  await assert.rejects(refusing.call("GET", "/api/x"), (error) => {
    assert.deepEqual([error.status, error.code, error.reason, error.key], [401, "unauthorized", "token expired", "expired"]);
    return true;
  });
  const proxy = new BearerClient("t", { fetch: fakeFetch({ answer: () => [502, "<html>Bad gateway</html>"] }).impl, remember: false });
  await assert.rejects(proxy.call("GET", "/api/x"), (error) => {
    assert.deepEqual([error.status, error.code, error.reason], [502, undefined, "<html>Bad gateway</html>"]);
    return true;
  });
});

test("both staff pages' clients are bearer clients that renew", async () => {
  for (const Api of [CenterApi, EventsApi]) {
    const { impl, calls } = fakeFetch({ fresh: tokenFor("local:kim", 900) });
    const api = new Api(tokenFor("local:kim", 60), { fetch: impl, remember: false });
    assert.ok(api instanceof BearerClient);
    await api.call("GET", "/api/x");
    assert.equal(refreshes(calls).length, 1, Api.name);
  }
  // The organizer console's clock learns from its calls, not from the renewal.
  const { impl } = fakeFetch({ fresh: tokenFor("local:kim", 900) });
  const samples = [];
  const api = new EventsApi(tokenFor("local:kim", 60), {
    fetch: impl,
    remember: false,
    clock: { sample: (...args) => samples.push(args) },
  });
  await api.call("GET", "/api/x", undefined, { key: "k" });
  assert.equal(samples.length, 1);
});

test("the staff pages share their common texts, word for word", () => {
  for (const [key, entry] of Object.entries(PAGE_STRINGS)) {
    assert.deepEqual(CENTER_TABLE[key], entry, key);
    assert.deepEqual(EVENTS_TABLE[key], entry, key);
    assert.equal(ct("ko", key), entry.ko);
    assert.equal(et("en", key), entry.en);
  }
  assert.equal(ct("ja", "networkError"), PAGE_STRINGS.networkError.en);
  assert.equal(pageText(PAGE_STRINGS, "en", "updatedAt", { time: "10:00" }), "Updated at 10:00");
  assert.equal(pageText(PAGE_STRINGS, "en", "toString"), "toString");
});
