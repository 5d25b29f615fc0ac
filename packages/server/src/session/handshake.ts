import { RpcError } from "@x/exec-protocol";

type HandshakeState = "awaiting-initialize" | "awaiting-initialized" | "ready";

/** The initialize → initialized handshake of one connection. */
export class Handshake {
  private state: HandshakeState = "awaiting-initialize";
  clientName: string | undefined;

  get ready(): boolean {
    return this.state === "ready";
  }

  assertAwaitingInitialize(): void {
    if (this.state !== "awaiting-initialize") {
      throw RpcError.invalidRequest("initialize was already received on this connection");
    }
  }

  initialize(clientName: string): void {
    this.assertAwaitingInitialize();
    this.clientName = clientName;
    this.state = "awaiting-initialized";
  }

  /** Returns false when the notification came out of order (it is then ignored). */
  initialized(): boolean {
    if (this.state !== "awaiting-initialized") return false;
    this.state = "ready";
    return true;
  }

  /** Throws -32600 naming the missing step unless exec methods are allowed. */
  requireReady(method: string): void {
    if (this.state === "awaiting-initialize") {
      throw RpcError.invalidRequest(`${method} before the handshake: send initialize first`);
    }
    if (this.state === "awaiting-initialized") {
      throw RpcError.invalidRequest(`${method} before the handshake completed: send the initialized notification first`);
    }
  }
}
