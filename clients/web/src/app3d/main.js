// The 3D plaza: sign in, see the zone and everyone in view, walk with the keyboard, mouse
// or a touch joystick, and enter VR where the browser offers WebXR. Remote avatars are
// drawn ~100 ms behind the newest frame, interpolated, so 20 Hz updates look smooth at the
// screen's rate. The page's status line says what the connection is doing and which zone
// (and room of it) the avatar is in, and a refusal (banned, full, expired) is shown in
// words. Walking into a portal takes the avatar to another zone: the scenery is rebuilt
// from that zone's scene. A chat panel at the bottom left shows what those near say. In the
// zones with civic services a panel at the top right shows them (Seoul Plaza's notice board,
// City Hall's mayor's office, the Tourism District's stamps, bus and guided tours); walking
// into a landmark shows its card for a while, and the tour bus drives through the district.
// In the 120 Center the panel is the service desk (take a number, the call, the consultation),
// the desks' signs show who serves, and the ticket's status line stays up in every zone.
// In the Festival Grounds the stage shows its performers from every instance of the grounds,
// a bar at the bottom right cheers, claps and sends hearts, the crowd's reactions rise over
// the audience, and synchronized moments (the bell, fireworks, lights) fire on the server's
// clock; the panel holds the schedule with RSVPs.
import * as THREE from "three";
import { stopsOf } from "../common/bus.js";
import { AlertBanner } from "../common/alert.js";
import { CENTER_ZONE, CenterDesk } from "../common/center.js";
import { ChatLog, ChatPanel } from "../common/chat.js";
import { FESTIVAL_ZONE, FestivalDesk, festivalToast } from "../common/festival.js";
import { stageFloor } from "../common/festival_model.js";
import {
  applyPreferences,
  bindSettingsForm,
  initialLocale,
  localized,
  t,
} from "../common/page.js";
import { bindSignIn } from "../common/sign_in.js";
import { Visit } from "../common/visit.js";
import { PANEL_TITLES, ZoneServices } from "../common/zone_services.js";
import { RenderClock } from "../net/index.js";
import { Crowd } from "./avatars.js";
import { BusView } from "./bus.js";
import { DeskSigns } from "./center.js";
import { Controls } from "./controls.js";
import { FestivalEffects } from "./festival_effects.js";
import { addEnvironment, buildScenery, disposeScenery } from "./scene.js";
import { StageView } from "./stage.js";
import { XrSession } from "./xr.js";

/** A MOVE goes out at most this often (the server ticks at 20 Hz). */
const SEND_INTERVAL_S = 0.05;
/** Eye height of a standing desktop user, metres. */
const EYE_HEIGHT_M = 1.6;
/** Frame times kept for the performance readout (tests read window.__plaza). */
const FRAME_SAMPLES = 600;
/** How long a landmark's card stays up. */
const POI_CARD_MS = 15_000;
/** How often the panels' clocks (the bus) are redrawn. */
const PANEL_TICK_MS = 500;

const $ = (id) => document.getElementById(id);
let locale = initialLocale();
/** The 120 Center's desk (made with the service panels). */
let center = null;
/** The festival grounds' panel (made with the service panels). */
let festival = null;

function setStatus(key, detail = "") {
  $("status").textContent = t(locale, key) + (detail ? ` — ${detail}` : "");
}

/** The zone's title in the user's language and the room (instance) number. */
function showZone(visit) {
  const box = $("zone-status");
  const title = localized(visit.zone?.title, locale) || visit.zone?.name || "";
  const number = visit.instance?.number;
  box.textContent = number ? `${title} · ${t(locale, "room", { n: number })}` : title;
  box.hidden = !title;
}

function showMessage(key, detail = "") {
  const box = $("message");
  box.textContent = t(locale, key) + (detail ? ` (${detail})` : "");
  box.hidden = false;
}

class Plaza3D {
  constructor(visit) {
    this.visit = visit;
    this.canvas = $("scene");
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true });
    this.renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
    this.renderer.setSize(innerWidth, innerHeight, false);
    this.scene = new THREE.Scene();
    addEnvironment(this.scene);
    this.scenery = buildScenery(visit.scene, locale);
    this.scene.add(this.scenery);
    this.deskSigns = new DeskSigns(this.scenery, visit.scene);
    this.camera = new THREE.PerspectiveCamera(70, innerWidth / innerHeight, 0.2, 1200);
    this.camera.rotation.order = "YXZ";
    this.rig = new THREE.Group(); // the user's place in the world; VR moves the camera in it
    this.rig.add(this.camera);
    this.scene.add(this.rig);
    this.crowd = new Crowd(
      this.scene,
      visit.connection.mirror,
      (avatar) => visit.feed.labelOf(avatar),
      () => stageFloor(visit.scene),
    );
    this.bus = new BusView(this.scene);
    // The festival: performers on the stage from every instance, the crowd's effects.
    this.stage = new StageView(this.scene, visit);
    this.effects = new FestivalEffects(this.scene);
    this.effects.setScene(visit.scene);
    /** The festival's panel (its crowd and moments), once the panels are made. */
    this.festival = null;
    this.busStops = stopsOf(visit.scene);
    /** The Tourism District's desk (its last `bus` event), once the panels are made. */
    this.tourism = null;
    this.renderClock = new RenderClock();
    this.controls = new Controls(this.canvas, $("joystick"));
    if (document.body.classList.contains("touch")) {
      $("help").dataset.i18n = "touchHelp";
      $("help").textContent = t(locale, "touchHelp");
    }
    this.controls.yaw = visit.self.yaw;
    this.sinceSend = 0;
    this.dirty = true;
    this.frameTimes = [];
    /** Milliseconds of script and GL submission per frame (the rest is the browser's). */
    this.workTimes = [];
    this.lastFrame = performance.now();
    this.xr = new XrSession(this);

    const connection = visit.connection;
    connection.addEventListener("world", (event) => {
      this.renderClock.observe(event.detail.frame.serverTime);
      this.crowd.onFrame();
    });
    connection.addEventListener("welcome", () => {
      this.crowd.reset();
      this.renderClock.reset();
      this.controls.yaw = visit.self.yaw;
      setStatus("connected");
      showZone(visit);
      $("message").hidden = true;
    });
    connection.addEventListener("enterzone", () => {
      // Everyone in view is new, and the old scenery is not where we are any more: hide it
      // until the new zone's scene arrives ('zone' below).
      this.crowd.reset();
      this.renderClock.reset();
      this.controls.yaw = visit.self.yaw;
      this.controls.pitch = 0;
      this.scenery.visible = false;
      this.effects.setScene(null);
      showZone(visit);
    });
    visit.addEventListener("zone", () => {
      this.rebuild(locale);
      showZone(visit);
    });
    connection.addEventListener("close", (event) => {
      const { key, willReconnect, reason } = event.detail;
      if (willReconnect) setStatus("reconnecting");
      else if (!visit.refusal) {
        setStatus("disconnected");
        showMessage(key, reason);
      }
    });
    visit.addEventListener("refused", (event) => {
      setStatus("disconnected");
      showMessage(event.detail.key, event.detail.reason);
    });
    addEventListener("resize", () => {
      this.renderer.setSize(innerWidth, innerHeight, false);
      this.camera.aspect = innerWidth / innerHeight;
      this.camera.updateProjectionMatrix();
    });
    this.renderer.setAnimationLoop((time, frame) => this.frame(time, frame));
  }

  /** Build the scenery of the zone the avatar is in, in `newLocale` (signs, portal names). */
  rebuild(newLocale) {
    this.scene.remove(this.scenery);
    disposeScenery(this.scenery);
    this.scenery = buildScenery(this.visit.scene, newLocale);
    this.scene.add(this.scenery);
    this.busStops = stopsOf(this.visit.scene);
    this.deskSigns = new DeskSigns(this.scenery, this.visit.scene);
    this.deskSigns.update(center?.info ?? null, newLocale);
    this.effects.setScene(this.visit.scene);
  }

  frame(time, xrFrame) {
    const now = performance.now();
    // Capped so a stalled tab does not leap; generous, so slow renderers still walk.
    const dt = Math.min((now - this.lastFrame) / 1000, 0.25);
    this.frameTimes.push(now - this.lastFrame);
    if (this.frameTimes.length > FRAME_SAMPLES) this.frameTimes.shift();
    this.lastFrame = now;

    const self = this.visit.self;
    const { dx, dz } = this.controls.step(dt);
    if (dx !== 0 || dz !== 0) {
      self.x += dx;
      self.z += dz;
      this.dirty = true;
    }
    if (Math.abs(self.yaw - this.controls.yaw) > 1e-3) this.dirty = true;
    self.yaw = this.controls.yaw;
    this.xr.update(xrFrame, dt);
    this.sinceSend += dt;
    if ((this.dirty || this.xr.active) && this.sinceSend >= SEND_INTERVAL_S) {
      this.visit.move(self.x, self.y, self.z, self.yaw, this.xr.flags);
      this.xr.sendPose();
      this.dirty = false;
      this.sinceSend = 0;
    }
    this.rig.position.set(self.x, self.y, self.z);
    if (!this.xr.active) {
      this.camera.position.set(0, EYE_HEIGHT_M, 0);
      this.camera.rotation.set(this.controls.pitch, self.yaw + Math.PI, 0);
    } else {
      this.rig.rotation.y = self.yaw + Math.PI;
    }
    const renderTime = this.renderClock.ready ? this.renderClock.renderTime() : 0;
    this.crowd.draw(renderTime, self);
    this.stage.draw(renderTime);
    if (this.festival) this.effects.update(dt, self, this.festival.totals());
    // Not for its own riders: their eyes are inside it.
    const shown = this.visit.scene.name === "tourism" && this.scenery.visible && !this.tourism?.riding;
    const bus = shown ? this.tourism?.bus : null;
    this.bus.draw(bus ?? null, this.busStops, this.visit.connection.clock.serverNow(), dt, t(locale, "tourBus"));
    this.renderer.render(this.scene, this.camera);
    this.workTimes.push(performance.now() - now);
    if (this.workTimes.length > FRAME_SAMPLES) this.workTimes.shift();
  }
}

async function enter(who) {
  setStatus("connecting");
  let visit;
  try {
    visit = await Visit.begin(who);
  } catch (error) {
    setStatus("disconnected");
    showMessage(error.key ?? "refused", error.reason ?? error.message);
    $("sign-in").hidden = false;
    return;
  }
  $("sign-in").hidden = true;
  $("open-settings").hidden = false;
  setStatus("connected");
  showZone(visit);
  const plaza = new Plaza3D(visit);
  const chat = new ChatLog(visit);
  const panel = bindChat(chat);
  const services = bindServices(visit, chat);
  plaza.tourism = services.tourism;
  plaza.festival = festival;
  festival.addEventListener("moment", (event) => plaza.effects.fire(event.detail, visit.self));
  center.addEventListener("info", () => plaza.deskSigns.update(center.info, locale));
  plaza.deskSigns.update(center.info, locale);
  visit.addEventListener("profile", (event) => applyPreferences(event.detail));
  bindSettingsForm($("settings-form"), visit, {
    onSaved: (profile) => {
      locale = profile.locale;
      plaza.rebuild(locale);
      panel.render();
      services.render();
      center.render();
      festival.render();
      showServices(services);
      showZone(visit);
      $("settings").hidden = true;
    },
  });
  $("open-settings").addEventListener("click", () => {
    $("settings").hidden = false;
  });
  $("close-settings").addEventListener("click", () => {
    $("settings").hidden = true;
  });
  // For the browser tests and for support staff: what the page sees, read-only.
  window.__plaza = { visit, plaza, chat, services, center, festival, THREE };
}

/** The service panel's title and body for the zone the avatar is in (none elsewhere). */
function showServices(services) {
  const zone =
    services.showActive() ?? (center?.active ? CENTER_ZONE : festival?.active ? FESTIVAL_ZONE : null);
  $("center-panel").hidden = zone !== CENTER_ZONE;
  $("festival-panel").hidden = zone !== FESTIVAL_ZONE;
  $("zone-panel").classList.toggle("festival", zone === FESTIVAL_ZONE);
  $("zone-panel").hidden = zone === null;
  if (zone === null) return;
  const title = $("zone-panel-title");
  title.dataset.i18n = PANEL_TITLES[zone] ?? (zone === FESTIVAL_ZONE ? "festivalGrounds" : "center120");
  title.textContent = t(locale, title.dataset.i18n);
  setPanelOpen(!$("zone-panel-body").hidden);
}

/** Open or fold the service panel (its heading stays, with the button). */
function setPanelOpen(open) {
  const toggle = $("zone-panel-toggle");
  $("zone-panel-body").hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
  toggle.dataset.i18n = open ? "hidePanel" : "showPanel";
  toggle.textContent = t(locale, toggle.dataset.i18n);
  $("zone-panel").classList.toggle("collapsed", !open);
}

/** The zones' services in the panel at the top right, and a landmark's card. */
function bindServices(visit, chat) {
  const services = new ZoneServices(
    visit,
    chat,
    { notices: $("notices-panel"), cityHall: $("city-hall-panel"), tourism: $("tourism-panel") },
    () => locale,
  );
  center = new CenterDesk(visit, $("center-panel"), () => locale, { toast: $("center-toast") });
  festival = new FestivalDesk(
    visit,
    {
      panel: $("festival-panel"),
      reactions: $("festival-bar"),
      countdown: $("festival-countdown"),
      toast: festivalToast($("festival-toast")),
    },
    () => locale,
  );
  new AlertBanner($("alert"), () => locale, (key) => t(locale, key)).follow(visit.connection);
  // A desk calls this user while in the center: open the panel at the call.
  center.addEventListener("called", () => {
    showServices(services);
    if (center.active) setPanelOpen(true);
  });
  $("zone-panel-toggle").addEventListener("click", () => setPanelOpen($("zone-panel-body").hidden));
  visit.addEventListener("zone", () => {
    services.render();
    showServices(services);
  });
  visit.connection.addEventListener("enterzone", () => {
    $("poi-card").hidden = true;
    showServices(services);
  });
  let cardTimer = null;
  services.tourism.addEventListener("poi", (event) => {
    const { title, description, locale: lang } = event.detail;
    const card = $("poi-card");
    $("poi-card-title").textContent = title;
    $("poi-card-text").textContent = description;
    if (lang) card.lang = lang;
    card.hidden = false;
    clearTimeout(cardTimer);
    cardTimer = setTimeout(() => {
      card.hidden = true;
    }, POI_CARD_MS);
  });
  setInterval(() => services.tick(), PANEL_TICK_MS);
  showServices(services);
  return services;
}

/** The chat panel: collapsible; Enter (outside a field) opens it and goes to its input. */
function bindChat(chat) {
  const panel = new ChatPanel(
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
  const toggle = $("chat-toggle");
  const setOpen = (open) => {
    $("chat-body").hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.dataset.i18n = open ? "hideChat" : "showChat";
    toggle.textContent = t(locale, toggle.dataset.i18n);
    $("chat").classList.toggle("collapsed", !open);
  };
  toggle.addEventListener("click", () => setOpen($("chat-body").hidden));
  addEventListener("keydown", (event) => {
    // Only while walking (focus on the page or the scene), never from a field, button or link.
    const walking = event.target === document.body || event.target === $("scene");
    if (event.key === "Enter" && walking) {
      event.preventDefault();
      setOpen(true);
      $("chat-input").focus();
    }
  });
  $("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Escape") $("chat-input").blur();
  });
  $("chat").hidden = false;
  return panel;
}

// REACT goes out on the page's socket (common/festival_react.js): track it from the start.

bindSignIn(locale, {
  onLocale: (chosen) => {
    locale = chosen;
  },
  onEnter: enter,
});
