// The visit's zone (src/common/visit.js): the entrance scene from /api/config first, then the
// scene of each zone the avatar enters, from GET /api/zones/scene, announced with 'zone'.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";

import { Visit, bareScene } from "../src/common/visit.js";

const zoneOf = (name, origin = [-100, -5, -100]) => ({
  name,
  title: { ko: name.toUpperCase(), en: name },
  origin,
  size: [200, 25, 200],
});
const sceneOf = (name) => ({ ...bareScene(zoneOf(name)), portals: [{ id: `to_${name}` }] });
const CONFIG = { ws_url: "ws://plaza.test/ws", zone: zoneOf("plaza"), scene: sceneOf("plaza") };

const arrival = (type, name, extra = {}) => ({
  type,
  avatarId: 64,
  position: [1, 0, 2],
  yaw: 0.5,
  zone: zoneOf(name, [-50, -5, -50]),
  instance: { zone: name, number: 2 },
  ...extra,
});

let fetched;
let realFetch;
beforeEach(() => {
  fetched = [];
  realFetch = globalThis.fetch;
  globalThis.fetch = async (path) => {
    fetched.push(path);
    const name = new URL(path, "http://plaza.test").searchParams.get("name");
    const body = JSON.stringify({ zone: zoneOf(name), scene: sceneOf(name) });
    return { ok: true, status: 200, text: async () => body };
  };
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

function setup(role = "citizen") {
  const connection = new EventTarget();
  connection.token = "tok";
  const visit = new Visit(CONFIG, "tok", connection, { role });
  const zones = [];
  visit.addEventListener("zone", (event) => zones.push(event.detail));
  const emit = (type, detail) => connection.dispatchEvent(new CustomEvent(type, { detail }));
  return { visit, zones, emit };
}

describe("the visit's zone", () => {
  it("starts with the entrance, and loads each zone entered once", async () => {
    const { visit, zones, emit } = setup();
    assert.equal(visit.scene.name, "plaza");
    emit("welcome", arrival("welcome", "plaza", { instance: { zone: "plaza", number: 1 } }));
    await visit.sceneReady;
    assert.deepEqual(zones, []);
    assert.deepEqual(visit.instance, { zone: "plaza", number: 1 });

    emit("enterzone", arrival("enterZone", "hall", { via: "to_hall", notice: null, position: [-10, 0, 4], yaw: 1.5 }));
    assert.deepEqual(visit.self, { x: -10, y: 0, z: 4, yaw: 1.5 });
    assert.equal(visit.zone.name, "hall");
    await visit.sceneReady;
    assert.deepEqual(fetched, ["/api/zones/scene?name=hall"]);
    assert.equal(visit.scene.name, "hall");
    assert.deepEqual(
      zones.map((z) => [z.zone.name, z.scene.name, z.instance.number, z.via, z.entered]),
      [["hall", "hall", 2, "to_hall", true]],
    );

    // Back to the plaza (known from /api/config) and to the hall again: nothing fetched.
    emit("enterzone", arrival("enterZone", "plaza", { via: "to_plaza" }));
    await visit.sceneReady;
    emit("enterzone", arrival("enterZone", "hall", { via: "to_hall" }));
    await visit.sceneReady;
    assert.equal(fetched.length, 1);
    assert.deepEqual(
      zones.map((z) => z.scene.name),
      ["hall", "plaza", "hall"],
    );
  });

  it("follows a WELCOME in another zone, and only the last of quick moves", async () => {
    const { visit, zones, emit } = setup();
    emit("welcome", arrival("welcome", "tourism"));
    emit("enterzone", arrival("enterZone", "festival", { via: "to_festival" }));
    await visit.sceneReady;
    assert.deepEqual(
      zones.map((z) => [z.zone.name, z.entered]),
      [["festival", true]],
    );
    assert.equal(visit.scene.name, "festival");
  });

  it("knows who may speak to the whole zone", () => {
    assert.equal(setup("guest").visit.canAnnounce, false);
    assert.equal(setup("citizen").visit.canAnnounce, false);
    for (const role of ["staff", "organizer", "moderator", "admin", "guide"]) {
      assert.equal(setup(role).visit.canAnnounce, true, role);
    }
  });

  it("draws bare ground for a zone whose scene cannot be loaded", () => {
    const scene = bareScene(zoneOf("garden", [-30, -5, -30]));
    assert.deepEqual(scene.bounds, { min: [-30, -5, -30], max: [170, 20, 170] });
    assert.deepEqual([scene.portals, scene.points_of_interest], [[], []]);
  });
});
