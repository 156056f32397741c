// Asking the zone's script (ZONE with a request id) from the panels, and wording its answer.
import { t } from "../i18n.js";
import { refusalKey } from "./texts.js";

/**
 * Send a zone request; resolves with {ok, detail} and never throws: a request that could not
 * go out or got no answer is {ok: false, detail: why}.
 * @param {import("./visit.js").Visit} visit
 * @param {string} type
 * @param {object} [data]
 */
export async function ask(visit, type, data = {}) {
  try {
    const result = await visit.connection.zoneRequest(type, data);
    return { ok: Boolean(result.ok), detail: result.detail };
  } catch (error) {
    return { ok: false, detail: String(error?.message ?? error) };
  }
}

/** A refusal in the reader's language when the client knows it, else the server's words. */
export function refusalText(locale, reason) {
  const key = refusalKey(reason);
  return key ? t(locale, key) : t(locale, "requestFailed", { reason: String(reason ?? "") });
}
