// The zone's news kept for late listeners (src/common/zone_feed.js), and name-tag badges.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ZoneFeed } from "../src/common/zone_feed.js";

function setup() {
  const connection = new EventTarget();
  const feed = new ZoneFeed(connection);
  const emit = (type, detail) => connection.dispatchEvent(new CustomEvent(type, { detail }));
  const news = (zone, event, data) => emit("zoneevent", { zone, event, data });
  return { feed, emit, news };
}

test("a late listener gets the news of the zone so far, then each new one", () => {
  const { feed, emit, news } = setup();
  emit("welcome", { zone: { name: "seoul_plaza" }, resumed: false });
  news("seoul_plaza", "notices", { notices: [{ id: 1 }] });
  news("city_hall", "polls", { polls: [] }); // not the zone the avatar is in
  const seen = [];
  feed.on("seoul_plaza", { notices: (data) => seen.push(data.notices.length) });
  news("seoul_plaza", "notices", { notices: [{ id: 2 }, { id: 1 }] });
  news("seoul_plaza", "other", {});
  assert.deepEqual(seen, [1, 2]);
});

test("another zone starts afresh; a resumed reconnect keeps the news", () => {
  const { feed, emit, news } = setup();
  const told = [];
  feed.addEventListener("reset", (event) => told.push(["reset", event.detail.zone]));
  feed.addEventListener("resume", (event) => told.push(["resume", event.detail.zone]));
  emit("welcome", { zone: { name: "tourism" }, resumed: false });
  news("tourism", "bus", { state: "dwelling" });
  emit("welcome", { zone: { name: "tourism" }, resumed: true });
  assert.equal(feed.events.length, 1);
  emit("enterzone", { zone: { name: "seoul_plaza" } });
  assert.deepEqual(feed.events, []);
  assert.deepEqual(told, [
    ["reset", "tourism"],
    ["resume", "tourism"],
    ["reset", "seoul_plaza"],
  ]);
});

test("badges come with the avatar's description and change with the badge event", () => {
  const { feed, emit, news } = setup();
  emit("welcome", { zone: { name: "tourism" }, resumed: false });
  const taro = { avatarId: 7, description: { name: "taro" } };
  const jun = { avatarId: 8, description: { name: "jun", badge: "🏯" } };
  assert.equal(feed.labelOf(taro), "taro");
  assert.equal(feed.labelOf(jun), "jun 🏯");
  news("tourism", "badge", { avatar: 7, badge: "🏯" });
  news("tourism", "badge", { avatar: 8, badge: null });
  assert.equal(feed.labelOf(taro), "taro 🏯");
  assert.equal(feed.labelOf(jun), "jun");
  // A new view: the enters describe everyone again.
  emit("enterzone", { zone: { name: "seoul_plaza" } });
  assert.equal(feed.labelOf(jun), "jun 🏯");
});
