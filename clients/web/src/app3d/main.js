// The 3D plaza: sign in, see the zone and everyone in view, walk with the keyboard, mouse
// or a touch joystick, and enter VR where the browser offers WebXR. Remote avatars are
// drawn ~100 ms behind the newest frame, interpolated, so 20 Hz updates look smooth at the
// screen's rate. The page's status line says what the connection is doing, and a refusal
// (banned, full, expired) is shown in words.
import * as THREE from "three";
import {
  applyPreferences,
  bindSettingsForm,
  initialLocale,
  t,
} from "../common/page.js";
import { bindSignIn } from "../common/sign_in.js";
import { Visit } from "../common/visit.js";
import { RenderClock } from "../net/index.js";
import { Crowd } from "./avatars.js";
import { Controls } from "./controls.js";
import { addEnvironment, buildScenery } from "./scene.js";
import { XrSession } from "./xr.js";

/** A MOVE goes out at most this often (the server ticks at 20 Hz). */
const SEND_INTERVAL_S = 0.05;
/** Eye height of a standing desktop user, metres. */
const EYE_HEIGHT_M = 1.6;
/** Frame times kept for the performance readout (tests read window.__plaza). */
const FRAME_SAMPLES = 600;

const $ = (id) => document.getElementById(id);
let locale = initialLocale();

function setStatus(key, detail = "") {
  $("status").textContent = t(locale, key) + (detail ? ` — ${detail}` : "");
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
    this.scenery = buildScenery(visit.config.scene, locale);
    this.scene.add(this.scenery);
    this.camera = new THREE.PerspectiveCamera(70, innerWidth / innerHeight, 0.2, 1200);
    this.camera.rotation.order = "YXZ";
    this.rig = new THREE.Group(); // the user's place in the world; VR moves the camera in it
    this.rig.add(this.camera);
    this.scene.add(this.rig);
    this.crowd = new Crowd(this.scene, visit.connection.mirror);
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
      $("message").hidden = true;
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

  /** Rebuild the signs and portal names in another language. */
  relabel(newLocale) {
    this.scene.remove(this.scenery);
    this.scenery = buildScenery(this.visit.config.scene, newLocale);
    this.scene.add(this.scenery);
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
  const plaza = new Plaza3D(visit);
  visit.addEventListener("profile", (event) => applyPreferences(event.detail));
  bindSettingsForm($("settings-form"), visit, {
    onSaved: (profile) => {
      locale = profile.locale;
      plaza.relabel(locale);
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
  window.__plaza = { visit, plaza, THREE };
}

bindSignIn(locale, {
  onLocale: (chosen) => {
    locale = chosen;
  },
  onEnter: enter,
});
