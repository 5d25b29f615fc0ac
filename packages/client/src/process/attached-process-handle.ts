import type { AttachParams, ResultOf } from "@x/exec-protocol";
import { ProcessHandle, type ProcessRpc } from "./process-handle.ts";
import type { ProcessState } from "./process-state.ts";

export type AttachMode = AttachParams["mode"];

/**
 * A process of another session that this client follows (`client.attach`).
 * Reading works as on an own process; in "write" mode, so do write, resize,
 * signal, closeStdin and terminate (the server refuses them in "read" mode).
 * Leaving it is `detach()`, never a kill.
 */
export class AttachedProcessHandle extends ProcessHandle {
  /** The session that owns the process. */
  readonly sessionId: string;
  readonly mode: AttachMode;
  /** Whether it was running when attached. */
  readonly running: boolean;
  /** The seq its next output chunk had when attached. */
  readonly nextSeq: number;

  constructor(
    rpc: ProcessRpc,
    state: ProcessState,
    mode: AttachMode,
    attached: ResultOf<"process/attach">,
    defaultMaxOutputBytes: number,
    private readonly detachFrom: () => Promise<void>,
  ) {
    super(rpc, state, undefined, attached.tty, defaultMaxOutputBytes, attached.sessionId);
    this.sessionId = attached.sessionId;
    this.mode = mode;
    this.running = attached.running;
    this.nextSeq = attached.nextSeq;
  }

  /**
   * Stops following the process (`process/detach`); the process goes on.
   * Iterators end after the output already received; an unsettled `exited`
   * rejects with code `ClientErrorCode.Detached`. Idempotent.
   */
  detach(): Promise<void> {
    return this.detachFrom();
  }

  /** `await using` detaches at the end of the scope. */
  override async [Symbol.asyncDispose](): Promise<void> {
    await this.detach().catch(() => {});
  }
}
