import type { OutputStream } from "@x/exec-protocol";
import type { ReconnectInfo } from "./connection/session-link.ts";
import type { ConnectionClosedError } from "./errors.ts";

/** Payloads of `client.on(...)`, by event name. `sessionId` is set only for attached processes. */
export interface ClientEvents {
  /** A live output chunk of any process of this client. */
  output: {
    readonly processId: string;
    readonly sessionId?: string;
    readonly stream: OutputStream;
    readonly data: Uint8Array;
    readonly seq: number;
  };
  /** A process exited; `seq` is its last output chunk sent before the exit. */
  exited: {
    readonly processId: string;
    readonly sessionId?: string;
    readonly exitCode: number;
    readonly signal: string | null;
    readonly seq: number;
  };
  /** Every output stream of a process reached end of file: no more output will come. */
  closed: { readonly processId: string; readonly sessionId?: string; readonly seq: number };
  /** With `resume`: the socket dropped and the client is taking its session back. */
  reconnecting: ConnectionClosedError;
  /** With `resume`: the session is back; output continues where it stopped. */
  reconnect: ReconnectInfo;
  /** The connection ended for good (closed by either side, lost, or not resumed). Fired once. */
  disconnect: ConnectionClosedError;
}

export type ClientEventName = keyof ClientEvents;
