// Clock offset estimation from PING/PONG round trips.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CLOCK_WINDOW, ClockSync, localNow } from "../../src/net/clock.js";

describe("ClockSync", () => {
  it("starts unsynced with a zero offset", () => {
    const clock = new ClockSync({ now: () => 5 });
    assert.equal(clock.synced, false);
    assert.equal(clock.offset, 0);
    assert.equal(clock.rtt, Infinity);
    assert.equal(clock.serverNow(), 5);
  });

  it("takes the offset from the middle of the round trip", () => {
    const clock = new ClockSync({ now: () => 100 });
    // Server 1000 s ahead; 40 ms there, 20 ms back: the estimate is off by half the asymmetry.
    const sample = clock.addSample(100.0, 1100.04, 100.06);
    assert.ok(Math.abs(sample.rtt - 0.06) < 1e-9);
    assert.ok(Math.abs(clock.offset - 1000.01) < 1e-9);
    assert.ok(Math.abs(clock.serverNow() - 1100.01) < 1e-9);
    assert.ok(Math.abs(clock.serverNow(200) - 1200.01) < 1e-9);
  });

  it("keeps the sample with the lowest round trip", () => {
    const clock = new ClockSync();
    clock.addSample(0, 1000.1, 0.2); // rtt 0.2, offset 1000.0
    clock.addSample(1, 1001.02, 1.02); // rtt 0.02, offset 1000.01
    clock.addSample(2, 1002.5, 2.3); // rtt 0.3, offset 1000.35
    assert.ok(Math.abs(clock.rtt - 0.02) < 1e-9);
    assert.ok(Math.abs(clock.offset - 1000.01) < 1e-9);
  });

  it("chooses only among recent samples, so the estimate follows drift", () => {
    const clock = new ClockSync();
    clock.addSample(0, 1000.001, 0.002); // a lucky, very fast sample
    for (let i = 1; i <= CLOCK_WINDOW; i++) clock.addSample(i, 2000 + i + 0.01, i + 0.02);
    assert.ok(Math.abs(clock.offset - 2000) < 1e-9);
    assert.ok(Math.abs(clock.rtt - 0.02) < 1e-9);
  });

  it("ignores impossible samples", () => {
    const clock = new ClockSync();
    assert.equal(clock.addSample(10, 1000, 9), null);
    assert.equal(clock.addSample(NaN, 1000, 9), null);
    assert.equal(clock.synced, false);
    clock.addSample(1, 1000, 1.1);
    clock.reset();
    assert.equal(clock.synced, false);
  });

  it("reads a local clock in Unix seconds that does not jump", () => {
    const a = localNow();
    assert.ok(Math.abs(a - Date.now() / 1000) < 5);
    assert.ok(localNow() >= a);
  });
});
