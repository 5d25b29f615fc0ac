/** The sending half of a transport: one JSON-RPC message per call. */
export interface OutboundChannel {
  send(text: string): void;
  /**
   * In-process transports only: the message as an object, never serialized.
   * When present, the connection uses it instead of `send`.
   */
  sendMessage?(message: object): void;
  /** Message-oriented transports (websocket) only: one binary message. */
  sendBinary?(bytes: Uint8Array): void;
  /** Bytes accepted by `send` but not yet written to the peer. */
  bufferedBytes(): number;
  /**
   * True while anything sent now would be lost or unwanted: a socket that is
   * going away, or an in-process client that paused. Senders then wait for `drained()`.
   */
  closing?(): boolean;
  /** Ends the connection; the transport then reports it closed. */
  close(reason: string): void;
}
