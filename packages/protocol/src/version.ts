/** The wire protocol version answered by `initialize`. */
export const PROTOCOL_VERSION = "exec-server.v0";
