import type { OutputStream } from "@x/exec-protocol";
import type { ConnectionClosedError } from "./errors.ts";

/** Payloads of `client.on(...)`, by event name. */
export interface ClientEvents {
  /** A live output chunk of any process of this client. */
  output: { readonly processId: string; readonly stream: OutputStream; readonly data: Uint8Array; readonly seq: number };
  /** A process exited; `seq` is its last output chunk sent before the exit. */
  exited: { readonly processId: string; readonly exitCode: number; readonly signal: string | null; readonly seq: number };
  /** Every output stream of a process reached end of file: no more output will come. */
  closed: { readonly processId: string; readonly seq: number };
  /** The connection ended (closed by either side or lost). Fired once. */
  disconnect: ConnectionClosedError;
}

export type ClientEventName = keyof ClientEvents;
