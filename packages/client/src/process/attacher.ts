import { ErrorCode, type AttachParams } from "@x/exec-protocol";
import { ClientErrorCode, ConnectionClosedError, createError, type ExecServerError } from "../errors.ts";
import { AttachedProcessHandle } from "./attached-process-handle.ts";
import type { ProcessRpc } from "./process-handle.ts";
import type { Attachment, ProcessRegistry } from "./process-registry.ts";

/** Sends `process/attach` on a given connection (a resumed one, before it takes other calls). */
export type AttachRequest = (method: "process/attach", params: AttachParams) => Promise<unknown>;

/** The client's side of `process/attach` and `process/detach`, and re-attaching after a resume. */
export class Attacher {
  constructor(
    private readonly registry: ProcessRegistry,
    private readonly rpc: ProcessRpc,
    private readonly defaultMaxOutputBytes: number,
    /** True once the client is closed: detaching then has nothing to tell the server. */
    private readonly closed: () => boolean,
  ) {}

  async attach(params: AttachParams): Promise<AttachedProcessHandle> {
    const { sessionId, processId, mode, afterSeq = 0 } = params;
    if (this.registry.getAttachment(sessionId, processId)) {
      throw createError(ErrorCode.InvalidRequest, `process ${processId} of session ${sessionId} is already attached`, {
        method: "process/attach",
      });
    }
    const attachment = this.registry.addAttachment(sessionId, processId, mode, afterSeq);
    try {
      const result = await this.rpc.request("process/attach", { sessionId, processId, mode, afterSeq });
      return new AttachedProcessHandle(this.rpc, attachment.state, mode, result, this.defaultMaxOutputBytes, () =>
        this.detach(attachment),
      );
    } catch (error) {
      this.registry.removeAttachment(attachment);
      throw error;
    }
  }

  /** The server forgets a connection's attachments when it drops: take them up where they stopped. */
  async reattachAll(request: AttachRequest): Promise<void> {
    await Promise.all(
      this.registry.attachments().map(async (attachment) => {
        const { sessionId, processId, mode, state } = attachment;
        try {
          await request("process/attach", { sessionId, processId, mode, afterSeq: state.log.liveSeq });
        } catch (error) {
          if (error instanceof ConnectionClosedError) throw error; // this attempt failed: the next one retries
          // The server refused (e.g. the owning session ended): only this attachment fails.
          this.registry.removeAttachment(attachment);
          state.onConnectionFailed(error as ExecServerError);
        }
      }),
    );
  }

  private async detach(attachment: Attachment): Promise<void> {
    const { sessionId, processId, state } = attachment;
    const following = this.registry.removeAttachment(attachment);
    const message = `process ${processId} of session ${sessionId} was detached`;
    state.onDetached(createError(ClientErrorCode.Detached, message, { method: "process/detach" }));
    if (!following || this.closed()) return;
    await this.rpc.request("process/detach", { sessionId, processId });
  }
}
