// The Tourism District's city tour bus as the client sees it, without the DOM: the stops from
// the zone's scene, where the bus is between two `bus` events, what to tell the user about it,
// and whether boarding is possible now. The server's rules are world/zones/tourism_bus.py;
// tested in test/bus.test.mjs.

/** Driving speed, m/s (BUS_SPEED_MPS): used only until the next `bus` event arrives. */
export const BUS_SPEED_MPS = 18;
/** Stops are the spots whose id starts with this (bus_stop_1 … bus_stop_4). */
export const STOP_PREFIX = "bus_stop_";

/**
 * The bus stops of a scene, by id: {id, position, radius, title}.
 * @param {{spots?: object[]}} scene
 * @returns {Map<string, {id: string, position: number[], radius: number, title: object}>}
 */
export function stopsOf(scene) {
  const stops = new Map();
  for (const spot of scene?.spots ?? []) {
    if (typeof spot.id === "string" && spot.id.startsWith(STOP_PREFIX)) {
      stops.set(spot.id, {
        id: spot.id,
        position: spot.position,
        radius: spot.radius ?? 2,
        title: spot.title ?? { ko: spot.id },
      });
    }
  }
  return stops;
}

const lerp = (a, b, f) => [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
const clamp01 = (f) => Math.min(1, Math.max(0, f));
const groundDistance = (a, b) => Math.hypot(b[0] - a[0], b[2] - a[2]);
/** Yaw from `a` to `b` (0 faces +z, π/2 faces +x), or `fallback` when they coincide. */
const headingTo = (a, b, fallback) => {
  const dx = b[0] - a[0];
  const dz = b[2] - a[2];
  return dx || dz ? Math.atan2(dx, dz) : fallback;
};

/**
 * Where the bus is at server time `now`, from the last `bus` event (`bus`, with `receivedAt`:
 * the server time it arrived). Dwelling, it stands at its stop until `departs_at`, then sets
 * off toward the next stop at BUS_SPEED_MPS; driving, it moves in a straight line from where it
 * was reported to the next stop, reaching it at `arrives_at`.
 * @param {{state: string, position: number[], heading: number, stop: string, next_stop: string,
 *   departs_at?: number, arrives_at?: number, receivedAt: number}} bus
 * @param {number} now server time, seconds
 * @param {Map<string, {position: number[]}>} stops
 * @returns {{position: number[], heading: number, moving: boolean}}
 */
export function busPositionAt(bus, now, stops) {
  const from = stops.get(bus.stop)?.position ?? bus.position;
  const to = stops.get(bus.next_stop)?.position;
  if (bus.state === "dwelling") {
    const departsAt = bus.departs_at ?? Infinity;
    if (now <= departsAt || !to) return { position: [...from], heading: bus.heading, moving: false };
    const length = groundDistance(from, to);
    const f = length > 0 ? clamp01(((now - departsAt) * BUS_SPEED_MPS) / length) : 1;
    return { position: lerp(from, to, f), heading: headingTo(from, to, bus.heading), moving: f < 1 };
  }
  if (!to) return { position: [...bus.position], heading: bus.heading, moving: true };
  const span = (bus.arrives_at ?? bus.receivedAt) - bus.receivedAt;
  const f = span > 0 ? clamp01((now - bus.receivedAt) / span) : 1;
  return { position: lerp(bus.position, to, f), heading: headingTo(bus.position, to, bus.heading), moving: f < 1 };
}

/**
 * What to tell the user about the bus at server time `now`: an i18n key and its values
 * (`stop` a stop id; `until` a server time; `seconds` whole seconds).
 * @returns {{key: string, values: object}}
 */
export function busStatus(bus, now, stops) {
  if (!bus) return { key: "busWaiting", values: {} };
  if (bus.state === "dwelling" && now <= (bus.departs_at ?? Infinity)) {
    return { key: "busAt", values: { stop: bus.stop, until: bus.departs_at } };
  }
  let arrivesAt = bus.arrives_at;
  if (bus.state === "dwelling") {
    // Left the stop; its first report from the road is on its way.
    const from = stops.get(bus.stop)?.position;
    const to = stops.get(bus.next_stop)?.position;
    const drive = from && to ? groundDistance(from, to) / BUS_SPEED_MPS : 0;
    arrivesAt = bus.departs_at + drive;
  }
  const seconds = Math.max(0, Math.ceil((arrivesAt ?? now) - now));
  return { key: "busTo", values: { stop: bus.next_stop, seconds } };
}

/**
 * The stop the user could board at now, or null: the bus dwells there (not yet gone), the
 * user stands within its radius (on the ground plane), and is not riding already.
 * @param {object|null} bus the last `bus` event
 * @param {{x: number, z: number}} self
 * @param {Map<string, {position: number[], radius: number}>} stops
 * @param {number} now server time
 * @param {boolean} riding
 */
export function boardableStop(bus, self, stops, now, riding = false) {
  if (!bus || riding || bus.state !== "dwelling" || now >= (bus.departs_at ?? -Infinity)) return null;
  const stop = stops.get(bus.stop);
  if (!stop) return null;
  const [x, , z] = stop.position;
  return Math.hypot(self.x - x, self.z - z) <= stop.radius ? stop.id : null;
}
