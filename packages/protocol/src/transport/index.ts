export type { OutboundMessage, Transport, TransportReceiver } from "./transport.ts";
export { PauseGate } from "./pause-gate.ts";
export { LineFramer, MessageTooLargeError } from "./line-framer.ts";
