// The 2D accessible page: the same world as the 3D plaza in plain HTML. Where you are, who
// is near, the chat, and the zone's services as buttons that walk you there (a portal's
// takes you to its zone, and the page follows). No WebGL; works with a keyboard and a
// screen reader. The lists refresh at most once a second and are not live regions, so a
// screen reader is not interrupted; status changes and chat lines are announced. In the zones
// with civic services their section follows: Seoul Plaza's notices, City Hall's proposals and
// polls, the Tourism District's stamps, bus and guided tours (with "Here": the landmark the
// user walked into, also announced), and the 120 Center's desk: take a number, the call to a
// desk, the private consultation; the ticket's status line stays up in every zone. In the
// Festival Grounds: who is on stage, reaction buttons with the crowd in words (a polite live
// region, once a second at most), synchronized moments announced as they fire, the schedule
// with RSVPs; an event this user RSVPed to is told when it starts, in every zone.
import { AlertBanner } from "../common/alert.js";
import { CenterDesk } from "../common/center.js";
import { ChatLog, ChatPanel } from "../common/chat.js";
import { FestivalDesk, festivalToast } from "../common/festival.js";
import {
  applyLocale,
  applyPreferences,
  bindSettingsForm,
  initialLocale,
  localized,
  t,
} from "../common/page.js";
import { bindSignIn } from "../common/sign_in.js";
import { Visit } from "../common/visit.js";
import { ZoneServices } from "../common/zone_services.js";
import { WalkTo } from "./walk.js";

const REFRESH_MS = 1000;
/** An announcement (a landmark walked into) is not replaced by a plain arrival this soon. */
const ANNOUNCEMENT_KEPT_MS = 5000;
const $ = (id) => document.getElementById(id);

let locale = initialLocale();
let visit = null;
let walker = null;
let panel = null;
let services = null;
let center = null;
let festival = null;
let announcedAt = -Infinity;

function setStatus(key, extra = "") {
  $("status").textContent = t(locale, key) + (extra ? ` — ${extra}` : "");
}

function distance(a, b) {
  return Math.hypot(a.x - b.x, a.z - b.z);
}

/** A compass word for the direction from `from` to `to` (x east, z south). */
function direction(from, to) {
  const angle = Math.atan2(to.x - from.x, -(to.z - from.z)); // 0 = north, clockwise
  const names = {
    ko: ["북", "북동", "동", "남동", "남", "남서", "서", "북서"],
    en: ["N", "NE", "E", "SE", "S", "SW", "W", "NW"],
    ja: ["北", "北東", "東", "南東", "南", "南西", "西", "北西"],
    zh: ["北", "东北", "东", "东南", "南", "西南", "西", "西北"],
  }[locale];
  return names[(Math.round(angle / (Math.PI / 4)) + 8) % 8];
}

function nearestPlace(scene, self) {
  const places = [...(scene.points_of_interest ?? []), ...(scene.portals ?? [])];
  let best = null;
  for (const place of places) {
    const [x, , z] = place.position;
    const d = Math.hypot(self.x - x, self.z - z);
    if (best === null || d < best.d) best = { place, d };
  }
  return best;
}

/** The zone's title in the user's language, and its room (instance) number. */
function zoneName() {
  const title = localized(visit.zone?.title ?? visit.scene.title, locale) || visit.scene.name;
  const number = visit.instance?.number;
  return number ? `${title} · ${t(locale, "room", { n: number })}` : title;
}

function renderWhere() {
  const scene = visit.scene;
  const self = visit.self;
  const zone = zoneName();
  // Right after a portal the new zone's scene may still be on its way: no places until then.
  const near = scene.name === visit.zone?.name ? nearestPlace(scene, self) : null;
  let text = zone;
  if (near) {
    const where = localized(near.place.title, locale);
    const [x, , z] = near.place.position;
    const dir = direction(self, { x, z });
    text += ` — ${where} (${t(locale, "metresAway", { n: Math.round(near.d) })}, ${dir})`;
  }
  $("where-text").textContent = text;
}

function renderNear() {
  const list = $("near-list");
  const self = visit.self;
  const people = [];
  for (const avatar of visit.connection.mirror) {
    const d = distance(self, avatar.body);
    people.push({ name: visit.feed.labelOf(avatar), role: avatar.description.role, d, body: avatar.body });
  }
  people.sort((a, b) => a.d - b.d);
  if (people.length === 0) {
    const item = document.createElement("li");
    item.textContent = t(locale, "nobodyNear");
    list.replaceChildren(item);
    return;
  }
  list.replaceChildren(
    ...people.slice(0, 20).map((person) => {
      const item = document.createElement("li");
      const away = t(locale, "metresAway", { n: Math.round(person.d) });
      item.textContent = `${person.name} — ${away}, ${direction(self, person.body)}`;
      return item;
    }),
  );
}

function renderServices() {
  const scene = visit.scene;
  const services = [
    ...(scene.portals ?? []),
    ...(scene.points_of_interest ?? []).filter((p) => p.kind === "service"),
  ];
  $("service-list").replaceChildren(
    ...services.map((service) => {
      const item = document.createElement("li");
      const title = localized(service.title, locale);
      const heading = document.createElement("strong");
      heading.textContent = title;
      item.append(heading);
      const description = localized(service.description, locale);
      if (description) item.append(document.createTextNode(` — ${description} `));
      const go = document.createElement("button");
      go.type = "button";
      go.textContent = t(locale, "goTo");
      go.setAttribute("aria-label", `${t(locale, "goTo")}: ${title}`);
      go.addEventListener("click", () => {
        const [x, y, z] = service.position;
        walker.start({ x, y, z }, service.radius ?? 2, () => {
          setStatus("connected", title);
          renderWhere();
        });
      });
      item.append(go);
      return item;
    }),
  );
}

function renderAll() {
  if (!visit) return;
  renderWhere();
  renderNear();
  services?.tick();
}

/** Show the section of the zone the avatar is in ("Here" too, in the Tourism District). */
function showServices() {
  const zone = services.showActive();
  $("here").hidden = zone !== "tourism";
  $("center").hidden = !center?.active;
  $("festival").hidden = !festival?.active;
}

/** The zones' services, in the sections after "Who is near". */
function bindServices(chat) {
  services = new ZoneServices(
    visit,
    chat,
    { notices: $("notices"), cityHall: $("city-hall"), tourism: $("tourism") },
    () => locale,
    {
      here: $("here-body"),
      goTo: ({ position, radius, title }) => {
        const [x, y, z] = position;
        walker.start({ x, y, z }, radius, () => {
          if (performance.now() - announcedAt > ANNOUNCEMENT_KEPT_MS) setStatus("connected", title);
          renderWhere();
        });
      },
    },
  );
  center = new CenterDesk(visit, $("center-body"), () => locale, { toast: $("center-toast") });
  // The festival grounds: the crowd's summary is a polite live region, at most once a second.
  festival = new FestivalDesk(
    visit,
    { panel: $("festival-body"), toast: festivalToast($("festival-toast")) },
    () => locale,
    { liveSummary: true },
  );
  new AlertBanner($("alert"), () => locale, (key) => t(locale, key)).follow(visit.connection);
  services.tourism.addEventListener("poi", (event) => {
    const { title, description } = event.detail;
    $("status").textContent = `${title} — ${description}`;
    announcedAt = performance.now();
  });
  visit.connection.addEventListener("enterzone", () => showServices());
  showServices();
}

async function enter(who) {
  setStatus("connecting");
  try {
    visit = await Visit.begin(who);
  } catch (error) {
    setStatus(error.key ?? "refused", error.reason ?? error.message);
    $("sign-in").hidden = false;
    return;
  }
  walker = new WalkTo(visit);
  visit.connection.addEventListener("welcome", () => setStatus("connected"));
  // A portal (or the staff) took the avatar elsewhere: stop walking toward a place of the
  // zone it left, and show the new zone once its scene is in.
  visit.connection.addEventListener("enterzone", () => walker.stop());
  visit.addEventListener("zone", () => {
    setStatus("connected", zoneName());
    renderServices();
    services?.render();
    showServices();
    renderAll();
  });
  visit.connection.addEventListener("close", (event) => {
    const { key, willReconnect, reason } = event.detail;
    if (visit.refusal) return;
    setStatus(willReconnect ? "reconnecting" : key, willReconnect ? "" : reason);
  });
  visit.addEventListener("refused", (event) => setStatus(event.detail.key, event.detail.reason));
  visit.addEventListener("profile", (event) => {
    applyPreferences(event.detail);
    if (event.detail.locale !== locale) {
      locale = event.detail.locale;
      applyLocale(locale);
      renderServices();
      services?.render();
      center?.render();
      festival?.render();
      panel?.render();
    }
  });
  bindSettingsForm($("settings-form"), visit, {
    onSaved: (profile) => {
      locale = profile.locale;
      renderServices();
      services?.render();
      center?.render();
      festival?.render();
      renderAll();
      panel?.render();
    },
  });
  const chat = new ChatLog(visit);
  panel = new ChatPanel(
    chat,
    {
      log: $("chat-log"),
      list: $("chat-lines"),
      form: $("chat-form"),
      input: $("chat-input"),
      channel: $("chat-channel"),
      channelRow: $("chat-channel-row"),
    },
    () => locale,
  );
  bindServices(chat);
  // For the browser tests and for support staff: what the page sees, read-only.
  window.__plaza = { visit, chat, services, center, festival };
  $("sign-in").hidden = true;
  for (const id of ["where", "near", "chat", "services", "settings"]) $(id).hidden = false;
  setStatus("connected");
  renderServices();
  renderAll();
  setInterval(renderAll, REFRESH_MS);
  $("main").focus();
}

// REACT goes out on the page's socket (common/festival_react.js): track it from the start.

bindSignIn(locale, {
  onLocale: (chosen) => {
    locale = chosen;
  },
  onEnter: enter,
});
