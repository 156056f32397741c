// The 120 Center's desks in the 3D scene: above each counter (the buildings desk_counter_N
// of the center_120 scene) a lamp and a small sign, green with the civil servant's name
// while the desk is open, grey when it is closed, kept up to date from `center.info`.
//
// The signs are part of the zone's scenery group, so they are hidden with it while the next
// zone's scene loads and freed with it (disposeScenery) when the scenery is rebuilt.
import * as THREE from "three";
import { CENTER_ZONE, deskSignText } from "../common/center_model.js";
import { textTexture } from "./scene.js";

const COUNTER = /^desk_counter_(\d+)$/;
const OPEN_COLOR = 0x2fbf5b;
const CLOSED_COLOR = 0x8a9099;
/** Above the counter's own board (sign_desk_N, 2.4 m up), where people queueing see it. */
const SIGN_HEIGHT_M = 2.95;
const LAMP_HEIGHT_M = 3.35;
const SIGN_SIZE_M = [2.0, 0.45];

export class DeskSigns {
  /**
   * @param {THREE.Object3D} scenery the zone's scenery group (the signs are added to it)
   * @param {object} scene the zone's scene; nothing is drawn outside the center
   */
  constructor(scenery, scene) {
    /** Each counter's lamp and sign by desk number. */
    this.desks = new Map();
    if (scene?.name !== CENTER_ZONE) return;
    this.group = new THREE.Group();
    this.group.name = "center_desk_signs";
    for (const building of scene.buildings ?? []) {
      const match = COUNTER.exec(building.id);
      if (!match) continue;
      const [x, y, z] = building.position;
      const lamp = new THREE.Mesh(
        new THREE.SphereGeometry(0.15, 16, 12),
        new THREE.MeshBasicMaterial({ color: CLOSED_COLOR }),
      );
      lamp.position.set(x, y + LAMP_HEIGHT_M, z);
      const sign = new THREE.Sprite(new THREE.SpriteMaterial());
      sign.scale.set(SIGN_SIZE_M[0], SIGN_SIZE_M[1], 1);
      sign.position.set(x, y + SIGN_HEIGHT_M, z);
      const desk = Number(match[1]);
      lamp.name = `desk_lamp_${desk}`;
      sign.name = `desk_sign_${desk}`;
      this.group.add(lamp, sign);
      this.desks.set(desk, { lamp, sign, text: null, open: null });
    }
    scenery.add(this.group);
  }

  /**
   * Show each desk as `center.info` describes it; a desk it does not list is closed.
   * @param {object|null} info
   * @param {string} locale
   */
  update(info, locale) {
    const listed = new Map((Array.isArray(info?.desks) ? info.desks : []).map((d) => [d?.desk, d]));
    for (const [number, view] of this.desks) {
      const desk = listed.get(number) ?? { desk: number, open: false };
      const open = desk.open === true;
      const text = deskSignText(locale, desk);
      if (open !== view.open) {
        view.lamp.material.color.setHex(open ? OPEN_COLOR : CLOSED_COLOR);
        view.open = open;
      }
      if (text !== view.text) {
        view.sign.material.map?.dispose();
        view.sign.material.map = textTexture([text], {
          width: 512,
          height: 128,
          background: open ? "#1e7d3aee" : "#5b6470ee",
        });
        view.sign.material.needsUpdate = true;
        view.text = text;
      }
      view.sign.userData = { desk: number, open, text };
    }
  }
}
