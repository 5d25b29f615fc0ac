/** The sending half of a transport: one JSON-RPC message per call. */
export interface OutboundChannel {
  send(text: string): void;
  /** Message-oriented transports (websocket) only: one binary message. */
  sendBinary?(bytes: Uint8Array): void;
  /** Bytes accepted by `send` but not yet written to the peer. */
  bufferedBytes(): number;
  /** True once the peer is going away: anything sent now may be lost, so senders should wait. */
  closing?(): boolean;
  /** Ends the connection; the transport then reports it closed. */
  close(reason: string): void;
}
