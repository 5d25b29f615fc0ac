import { processKey, RpcError, type AttachParams } from "@x/exec-protocol";
import type { LiveSink } from "../process/output/live-sink.ts";
import type { ManagedProcess } from "../process/managed-process.ts";
import type { SessionRegistry } from "./session-registry.ts";

type Mode = AttachParams["mode"];

interface Attachment {
  readonly mode: Mode;
  readonly process: ManagedProcess;
  readonly stop: () => void;
}

/** Processes of other sessions that one connection watches (read) or also drives (write). */
export class Attachments {
  private readonly byKey = new Map<string, Attachment>();

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly connection: LiveSink,
  ) {}

  attach(params: AttachParams): ManagedProcess {
    const key = processKey(params.sessionId, params.processId);
    const process = this.sessions.require(params.sessionId).processes.require(params.processId);
    this.byKey.get(key)?.stop();
    const stop = process.output.observe(this.connection, params.afterSeq ?? 0, params.sessionId);
    this.byKey.set(key, { mode: params.mode, process, stop });
    return process;
  }

  detach(sessionId: string, processId: string): void {
    const key = processKey(sessionId, processId);
    const attachment = this.byKey.get(key);
    if (!attachment) throw RpcError.invalidRequest(`process ${processId} of session ${sessionId} is not attached`);
    attachment.stop();
    this.byKey.delete(key);
  }

  /** The attached process, if this connection attached it in a mode that allows `need`. */
  require(sessionId: string, processId: string, need: Mode): ManagedProcess {
    const attachment = this.byKey.get(processKey(sessionId, processId));
    if (!attachment) throw RpcError.invalidRequest(`process ${processId} of session ${sessionId} is not attached`);
    if (need === "write" && attachment.mode !== "write") {
      throw RpcError.invalidRequest(`process ${processId} of session ${sessionId} is attached read-only`);
    }
    return attachment.process;
  }

  clear(): void {
    for (const attachment of this.byKey.values()) attachment.stop();
    this.byKey.clear();
  }
}
