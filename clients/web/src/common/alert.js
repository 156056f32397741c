// Emergency alerts (ALERT, docs/protocol.md): shown over everything on the 3D and the 2D page,
// read out at once by screen readers (role="alert" is an assertive live region), with the
// image the city sent, until the reader closes it. Alerts sent before this page connected
// (the last 30 minutes, GET /api/alerts) are shown too, in the reader's language.
import { pickText } from "./texts.js";

/** Shows alerts in `root` (an element with role="alert", hidden until an alert comes). */
export class AlertBanner {
  /**
   * @param {HTMLElement} root
   * @param {() => string} locale the reader's language
   * @param {(key: string) => string} t the page's texts (for "Close")
   */
  constructor(root, locale, t) {
    this.root = root;
    this.locale = locale;
    this.t = t;
    this.shown = new Set();
  }

  /** Listen on a connection, and show the recent alerts the server still lists. */
  follow(connection) {
    connection.addEventListener("alert", (event) => this.show(event.detail));
    fetch("/api/alerts")
      .then((response) => (response.ok ? response.json() : { alerts: [] }))
      .then(({ alerts }) => {
        for (const alert of [...(alerts ?? [])].reverse()) {
          this.show({
            id: alert.id,
            title: pickText(alert.title, this.locale()),
            body: pickText(alert.body, this.locale()),
            image: alert.image,
          });
        }
      })
      .catch(() => {}); // the pushed alerts still come; the list is a courtesy
  }

  /** Show one alert (already in the reader's language); each id once. */
  show(alert) {
    if (!alert || this.shown.has(alert.id)) return;
    this.shown.add(alert.id);
    const box = document.createElement("section");
    box.className = "alert-box";
    const title = document.createElement("h2");
    title.textContent = String(alert.title ?? "");
    const body = document.createElement("p");
    body.textContent = String(alert.body ?? "");
    box.append(title, body);
    if (typeof alert.image === "string" && /^(\/|https:\/\/)/.test(alert.image)) {
      const image = document.createElement("img");
      image.src = alert.image;
      image.alt = ""; // the title and the text say what it shows
      box.append(image);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = this.t("close");
    close.addEventListener("click", () => {
      box.remove();
      this.root.hidden = this.root.childElementCount === 0;
    });
    box.append(close);
    this.root.prepend(box);
    this.root.hidden = false;
  }
}
