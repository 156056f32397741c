// The civic services of the zones, for both pages: Seoul Plaza's notice board, City Hall's
// mayor's office and the Tourism District's desk, each drawn into a container the page gives
// and shown by the page while the avatar is in that zone.
import { CITY_HALL_ZONE, MayorsOffice } from "./city_hall.js";
import { NOTICE_ZONE, NoticeBoard } from "./notices.js";
import { TOURISM_ZONE, TourismDesk } from "./tourism.js";

/** The i18n key of each service zone's panel title. */
export const PANEL_TITLES = Object.freeze({
  [NOTICE_ZONE]: "noticeBoard",
  [CITY_HALL_ZONE]: "mayorsOffice",
  [TOURISM_ZONE]: "tourismDistrict",
});

export class ZoneServices {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {import("./chat.js").ChatLog} chat
   * @param {{notices: HTMLElement, cityHall: HTMLElement, tourism: HTMLElement}} roots
   * @param {() => string} locale
   * @param {{level?: number, here?: HTMLElement, goTo?: (place: object) => void}} [options]
   */
  constructor(visit, chat, roots, locale, { level = 3, here = null, goTo = null } = {}) {
    this.visit = visit;
    this.roots = roots;
    this.notices = new NoticeBoard(visit, roots.notices, locale, { level });
    this.cityHall = new MayorsOffice(visit, roots.cityHall, locale, { level });
    this.tourism = new TourismDesk(visit, chat, roots.tourism, locale, { level, here, goTo });
  }

  /** The zone the avatar is in, when it has a service panel; else null. */
  get zone() {
    const name = this.visit.zone?.name;
    return Object.hasOwn(PANEL_TITLES, name) ? name : null;
  }

  /** Show the container of the zone the avatar is in, hide the others. */
  showActive() {
    const zone = this.zone;
    this.roots.notices.hidden = zone !== NOTICE_ZONE;
    this.roots.cityHall.hidden = zone !== CITY_HALL_ZONE;
    this.roots.tourism.hidden = zone !== TOURISM_ZONE;
    return zone;
  }

  /** Draw every panel again (another language, another zone). */
  render() {
    this.notices.render();
    this.cityHall.render();
    this.tourism.render();
  }

  /** What changes with time (the bus). */
  tick() {
    if (this.zone === TOURISM_ZONE) this.tourism.tick();
  }
}
