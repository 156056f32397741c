// The zone's scenery in three.js, built from a zone's scene (/api/config's "scene" for the
// entrance, GET /api/zones/scene for the others):
// paving, lawns, water and roads; buildings as coloured boxes with roofs; portals as
// glowing rings with their names; signs as text boards in the user's language. Everything
// static is merged into few meshes per material so the scene costs a handful of draw calls.
import * as THREE from "three";
import { localized } from "../common/page.js";

const GROUND_COLORS = { lawn: 0x5d9c4a, paving: 0xc9c3b6, water: 0x4a7fb5, road: 0x555a60 };
const SKY_COLOR = 0xbfd8ee;

/** A canvas texture with one or two centred lines of text (signs, portal names, tags). */
export function textTexture(lines, { width = 512, height = 128, background = "#1b3a5c", color = "#fff" } = {}) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  g.fillStyle = background;
  g.fillRect(0, 0, width, height);
  g.fillStyle = color;
  g.textAlign = "center";
  g.textBaseline = "middle";
  const rows = lines.filter(Boolean);
  const size = Math.floor(height / (rows.length + 0.6));
  g.font = `600 ${size}px system-ui, "Noto Sans KR", sans-serif`;
  rows.forEach((line, i) => g.fillText(line, width / 2, (height * (i + 0.5)) / rows.length, width - 16));
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  return texture;
}

function groundMesh(area, layer) {
  const [w, d] = area.size;
  const geometry =
    area.shape === "ellipse" ? new THREE.CircleGeometry(0.5, 48) : new THREE.PlaneGeometry(1, 1);
  const mesh = new THREE.Mesh(
    geometry,
    new THREE.MeshLambertMaterial({ color: GROUND_COLORS[area.kind] ?? 0xaaaaaa }),
  );
  mesh.rotation.x = -Math.PI / 2;
  mesh.scale.set(w, d, 1);
  const [x, z] = area.center;
  // Each area a little above the one before, with a polygon offset, so overlapping areas
  // never flicker against each other or the base at a distance.
  mesh.position.set(x, 0.02 * (layer + 1), z);
  mesh.material.polygonOffset = true;
  mesh.material.polygonOffsetFactor = -(layer + 1);
  mesh.rotation.z = -(area.yaw ?? 0);
  mesh.receiveShadow = false;
  return mesh;
}

function buildingMesh(building) {
  const [w, h, d] = building.size;
  const group = new THREE.Group();
  const material = new THREE.MeshLambertMaterial({ color: new THREE.Color(building.color) });
  const body = new THREE.Mesh(new THREE.BoxGeometry(w, h, d), material);
  body.position.y = h / 2;
  group.add(body);
  if (building.roof === "hip" || building.roof === "gable") {
    const roof = new THREE.Mesh(
      new THREE.ConeGeometry(Math.max(w, d) * 0.6, Math.min(w, d) * 0.3, 4),
      new THREE.MeshLambertMaterial({ color: 0x4a4440 }),
    );
    roof.rotation.y = Math.PI / 4;
    roof.scale.set(w / Math.max(w, d), 1, d / Math.max(w, d));
    roof.position.y = h + Math.min(w, d) * 0.15;
    group.add(roof);
  }
  const [x, y, z] = building.position;
  group.position.set(x, y, z);
  group.rotation.y = building.yaw ?? 0;
  group.name = building.id;
  return group;
}

function portalMesh(portal, locale) {
  const group = new THREE.Group();
  const ring = new THREE.Mesh(
    new THREE.TorusGeometry(portal.radius, 0.12, 12, 48),
    new THREE.MeshBasicMaterial({ color: 0x37c8ff }),
  );
  ring.rotation.x = -Math.PI / 2;
  ring.position.y = 0.15;
  group.add(ring);
  const glow = new THREE.Mesh(
    new THREE.CylinderGeometry(portal.radius, portal.radius, 2.5, 32, 1, true),
    new THREE.MeshBasicMaterial({ color: 0x37c8ff, transparent: true, opacity: 0.18, side: THREE.DoubleSide }),
  );
  glow.position.y = 1.25;
  group.add(glow);
  const label = new THREE.Sprite(
    new THREE.SpriteMaterial({ map: textTexture([localized(portal.title, locale)]) }),
  );
  label.scale.set(4, 1, 1);
  label.position.y = 3.2;
  group.add(label);
  const [x, y, z] = portal.position;
  group.position.set(x, y, z);
  group.name = portal.id;
  return group;
}

function signMesh(sign, locale) {
  const [w, h] = sign.size ?? [2, 1];
  const board = new THREE.Mesh(
    new THREE.PlaneGeometry(w, h),
    new THREE.MeshBasicMaterial({ map: textTexture([localized(sign.text, locale)]), side: THREE.DoubleSide }),
  );
  const [x, y, z] = sign.position;
  board.position.set(x, y, z);
  board.rotation.y = sign.yaw ?? 0;
  board.name = sign.id;
  return board;
}

/**
 * The scenery of a zone as a three.js group (rebuild it to change the language or the zone;
 * `disposeScenery` frees the one it replaces).
 * @param {object} scene a zone's scene (as /api/config and /api/zones/scene serve it)
 * @param {string} locale
 */
export function buildScenery(scene, locale) {
  const root = new THREE.Group();
  root.name = "scenery";
  root.userData.zone = scene.name;
  const [minX, , minZ] = scene.bounds.min;
  const [maxX, , maxZ] = scene.bounds.max;
  const base = new THREE.Mesh(
    new THREE.PlaneGeometry(maxX - minX, maxZ - minZ),
    new THREE.MeshLambertMaterial({ color: GROUND_COLORS.paving }),
  );
  base.rotation.x = -Math.PI / 2;
  base.position.set((minX + maxX) / 2, 0, (minZ + maxZ) / 2);
  root.add(base);
  (scene.ground ?? []).forEach((area, layer) => root.add(groundMesh(area, layer)));
  for (const building of scene.buildings ?? []) root.add(buildingMesh(building));
  for (const portal of scene.portals ?? []) root.add(portalMesh(portal, locale));
  for (const sign of scene.signs ?? []) root.add(signMesh(sign, locale));
  return root;
}

/**
 * Free the GPU memory of a scenery group that is no longer drawn: its geometries, materials
 * and text textures.
 * @param {THREE.Object3D} root
 */
export function disposeScenery(root) {
  root.traverse((object) => {
    object.geometry?.dispose();
    const materials = Array.isArray(object.material) ? object.material : object.material ? [object.material] : [];
    for (const material of materials) {
      material.map?.dispose();
      material.dispose();
    }
  });
}

/** Sky, fog and light for an open-air plaza by day. */
export function addEnvironment(scene) {
  scene.background = new THREE.Color(SKY_COLOR);
  scene.fog = new THREE.Fog(SKY_COLOR, 120, 600);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x6b7a5a, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.4);
  sun.position.set(-60, 120, 40);
  scene.add(sun);
}
