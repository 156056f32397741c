// Sending REACT (docs/protocol.md 5.10) from the pages, through the connection.

/**
 * Send one REACT; false when it could not go out (not joined).
 * @param {import("../net/index.js").PlazaConnection} connection
 * @param {number} kind 0 cheer, 1 clap, 2 heart
 */
export function sendReaction(connection, kind) {
  return connection.react(kind) !== false;
}
