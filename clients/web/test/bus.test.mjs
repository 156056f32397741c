// The tour bus as the client sees it (src/common/bus.js): where it is between two reports,
// what to say about it, and when boarding is possible.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BUS_SPEED_MPS, boardableStop, busPositionAt, busStatus, stopsOf } from "../src/common/bus.js";

const SCENE = {
  spots: [
    { id: "entrance", position: [0, 0, 0], radius: 2 },
    { id: "bus_stop_1", position: [0, 0, 0], radius: 4, title: { ko: "1번", en: "First" } },
    { id: "bus_stop_2", position: [0, 0, 180], radius: 4, title: { ko: "2번", en: "Second" } },
  ],
};
const stops = stopsOf(SCENE);
const near = (actual, expected) =>
  assert.ok(actual.every((v, i) => Math.abs(v - expected[i]) < 1e-9), `${actual} != ${expected}`);

test("the stops are the scene's bus_stop spots", () => {
  assert.deepEqual([...stops.keys()], ["bus_stop_1", "bus_stop_2"]);
  assert.equal(stops.get("bus_stop_2").radius, 4);
  assert.deepEqual(stops.get("bus_stop_1").title, { ko: "1번", en: "First" });
  assert.equal(stopsOf(null).size, 0);
});

test("a dwelling bus stands at its stop, then sets off at its speed", () => {
  const bus = {
    state: "dwelling",
    position: [0, 0, 0],
    heading: 0,
    stop: "bus_stop_1",
    next_stop: "bus_stop_2",
    departs_at: 100,
    receivedAt: 90,
  };
  const waiting = busPositionAt(bus, 95, stops);
  near(waiting.position, [0, 0, 0]);
  assert.equal(waiting.moving, false);
  const off = busPositionAt(bus, 102, stops);
  near(off.position, [0, 0, 2 * BUS_SPEED_MPS]);
  assert.equal(off.heading, 0); // toward +z
  near(busPositionAt(bus, 1000, stops).position, [0, 0, 180]); // never past the next stop
});

test("a driving bus glides from where it was reported to the next stop, on time", () => {
  const bus = {
    state: "driving",
    position: [0, 0, 36],
    heading: 0,
    stop: "bus_stop_1",
    next_stop: "bus_stop_2",
    arrives_at: 110,
    receivedAt: 102,
  };
  near(busPositionAt(bus, 102, stops).position, [0, 0, 36]);
  near(busPositionAt(bus, 106, stops).position, [0, 0, 108]);
  near(busPositionAt(bus, 110, stops).position, [0, 0, 180]);
  near(busPositionAt(bus, 120, stops).position, [0, 0, 180]);
  near(busPositionAt(bus, 100, stops).position, [0, 0, 36]); // a clock a little behind
  const west = { ...bus, position: [50, 0, 180], next_stop: "bus_stop_2", heading: 1 };
  assert.ok(Math.abs(busPositionAt(west, 103, stops).heading - -Math.PI / 2) < 1e-9);
});

test("the status names the stop and the departure, or the next stop and the seconds left", () => {
  assert.deepEqual(busStatus(null, 0, stops), { key: "busWaiting", values: {} });
  const dwelling = { state: "dwelling", stop: "bus_stop_1", next_stop: "bus_stop_2", departs_at: 100 };
  assert.deepEqual(busStatus(dwelling, 95, stops), { key: "busAt", values: { stop: "bus_stop_1", until: 100 } });
  // Past the departure with no report yet: on its way, 180 m at 18 m/s = 10 s after leaving.
  assert.deepEqual(busStatus(dwelling, 103, stops), { key: "busTo", values: { stop: "bus_stop_2", seconds: 7 } });
  const driving = { state: "driving", stop: "bus_stop_1", next_stop: "bus_stop_2", arrives_at: 110 };
  assert.deepEqual(busStatus(driving, 104.2, stops), { key: "busTo", values: { stop: "bus_stop_2", seconds: 6 } });
  assert.deepEqual(busStatus(driving, 111, stops), { key: "busTo", values: { stop: "bus_stop_2", seconds: 0 } });
});

test("boarding: within the stop's radius, while the bus dwells there, not already riding", () => {
  const bus = { state: "dwelling", stop: "bus_stop_1", next_stop: "bus_stop_2", departs_at: 100 };
  assert.equal(boardableStop(bus, { x: 3, z: 2 }, stops, 95), "bus_stop_1");
  assert.equal(boardableStop(bus, { x: 3, z: 3 }, stops, 95), null); // 4.2 m away
  assert.equal(boardableStop(bus, { x: 0, z: 0 }, stops, 100), null); // it has left
  assert.equal(boardableStop(bus, { x: 0, z: 0 }, stops, 95, true), null); // on board
  assert.equal(boardableStop(bus, { x: 0, z: 180 }, stops, 95), null); // another stop
  assert.equal(boardableStop({ ...bus, state: "driving", arrives_at: 110 }, { x: 0, z: 0 }, stops, 95), null);
  assert.equal(boardableStop(null, { x: 0, z: 0 }, stops, 95), null);
});
