// The WebXR emulator for the browser tests (Meta's Immersive Web Emulation Runtime): a
// Quest 3 with two controllers, installed over navigator.xr before the page's own scripts
// run. Tests move the headset and controllers and press buttons through window.__xrDevice.
import { XRDevice, metaQuest3 } from "iwer";

const device = new XRDevice(metaQuest3);
device.installRuntime({ forceInstall: true });
window.__xrDevice = device;
