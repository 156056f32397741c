// Bundles the web client into dist/ with esbuild: the 3D plaza (index.html), the 2D
// accessible page (2d.html), the 120 Center's pages (center.html, console.html,
// dashboard.html) and their styles. Everything the browser needs is in dist/, so
// Plaza serves it itself and works on a closed network (no CDN at run time).
//
// Also writes dist-testing/iwer.js, the WebXR emulator for the browser tests; it is never
// served.
import { build } from "esbuild";
import { cp, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const testing = join(here, "dist-testing");

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const common = {
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: process.env.PLAZA_WEB_DEBUG !== "1",
  sourcemap: true,
  logLevel: "warning",
  legalComments: "linked",
};

await build({
  ...common,
  entryPoints: {
    app3d: join(here, "src/app3d/main.js"),
    app2d: join(here, "src/app2d/main.js"),
    // The 120 Center's pages (docs/center120.md): the ticket page, the console, the dashboard.
    center_ticket: join(here, "src/center_pages/ticket_page.js"),
    center_console: join(here, "src/center_pages/console.js"),
    center_dashboard: join(here, "src/center_pages/dashboard.js"),
    // The festival organizer's console (docs/events.md).
    events_console: join(here, "src/events_pages/console.js"),
  },
  outdir: dist,
});

const pages = ["index.html", "2d.html", "styles.css"];
pages.push("center.html", "console.html", "dashboard.html", "center.css"); // the 120 Center
pages.push("events_console.html", "events.css"); // the organizer console
for (const page of pages) {
  await cp(join(here, "src/pages", page), join(dist, page));
}

await mkdir(testing, { recursive: true });
await build({
  ...common,
  entryPoints: [join(here, "src/testing/iwer-entry.js")],
  format: "iife",
  outfile: join(testing, "iwer.js"),
  sourcemap: false,
});
