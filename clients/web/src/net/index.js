// The browser's plaza.v1 protocol library: what the 3D and 2D pages import to talk to a
// Plaza world. docs/protocol.md is the contract these modules implement:
//
//   codec.js          opcodes, close and error codes, encode* for client messages, decodeServer
//   quantize.js       WORLD body and pose rows back to metres, radians and quaternions
//   mirror.js         WorldMirror: the visible avatars, kept by applying WORLD frames
//   interpolation.js  smooth remote motion between frames (SnapshotBuffer, RenderClock)
//   clock.js          the server's clock from PING/PONG
//   connection.js     PlazaConnection: the WebSocket, reconnects, renewal, chat, moderation,
//                     zone requests and moving between zones
//
// msgpack.js is internal: the other modules use it to read and write msgpack.

export * from "./codec.js";
export * from "./quantize.js";
export * from "./mirror.js";
export * from "./interpolation.js";
export * from "./clock.js";
export * from "./connection.js";
