// The zone's news (ZONE_EVENT) since the avatar arrived in the zone it is in, kept so a part
// of the page that starts listening late (after sign-in finished) still sees the board, the
// polls or the bus it was shown on arrival; and the name-tag badges changed since.
//
// Events: 'reset' {zone} (a new zone, or a fresh view of the same one: forget its news),
// 'resume' {zone} (a reconnect took the same avatar back: news may have been missed),
// 'event' {zone, event, data}.

/** News kept per zone visit; the oldest go first. */
export const FEED_KEPT = 200;

export class ZoneFeed extends EventTarget {
  /** @param {EventTarget} connection a PlazaConnection */
  constructor(connection) {
    super();
    /** The zone the news is from (its name), once joined. */
    this.zone = null;
    /** @type {{zone: string, event: string, data: any}[]} */
    this.events = [];
    /** Badges changed (ZONE_EVENT badge) since the view started, by avatar id. */
    this.badges = new Map();
    connection.addEventListener("welcome", (event) => {
      const { zone, resumed } = event.detail;
      this.#arrive(zone?.name ?? null, !resumed);
    });
    connection.addEventListener("enterzone", (event) => this.#arrive(event.detail.zone?.name ?? null, true));
    connection.addEventListener("zoneevent", (event) => {
      const { zone, event: name, data } = event.detail;
      if (zone !== this.zone) return; // news of a zone the avatar left
      if (name === "badge" && Number.isInteger(data?.avatar)) this.badges.set(data.avatar, data.badge ?? null);
      const entry = { zone, event: name, data: data ?? {} };
      this.events.push(entry);
      if (this.events.length > FEED_KEPT) this.events.splice(0, this.events.length - FEED_KEPT);
      this.dispatchEvent(new CustomEvent("event", { detail: entry }));
    });
  }

  #arrive(zone, fresh) {
    // Every WELCOME and ENTER_ZONE starts the view afresh: enters carry the badges again.
    this.badges.clear();
    if (!fresh && zone === this.zone) {
      this.dispatchEvent(new CustomEvent("resume", { detail: { zone } }));
      return;
    }
    this.zone = zone;
    this.events = [];
    this.dispatchEvent(new CustomEvent("reset", { detail: { zone } }));
  }

  /**
   * Call `handlers[type](data)` for each event of `zone`: first those kept, then each new one.
   * @param {string} zone
   * @param {Record<string, (data: any) => void>} handlers
   */
  on(zone, handlers) {
    const deliver = ({ zone: from, event, data }) => {
      if (from === zone && Object.hasOwn(handlers, event)) handlers[event](data);
    };
    for (const entry of [...this.events]) deliver(entry);
    this.addEventListener("event", (event) => deliver(event.detail));
  }

  /** The badge on `avatar`'s name tag (a SeenAvatar of the mirror), or null. */
  badgeOf(avatar) {
    if (this.badges.has(avatar.avatarId)) return this.badges.get(avatar.avatarId);
    const badge = avatar.description?.badge;
    return typeof badge === "string" && badge ? badge : null;
  }

  /** The name to show for `avatar`, with its badge when it has one. */
  labelOf(avatar) {
    const name = avatar.description?.name ?? "";
    const badge = this.badgeOf(avatar);
    return badge ? `${name} ${badge}` : name;
  }
}
