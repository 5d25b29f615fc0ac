import { decodeBase64, processKey, type AttachParams, type NotificationParamsOf, type ServerNotificationName } from "@x/exec-protocol";
import type { ClientEvents } from "../client-events.ts";
import type { ExecServerError } from "../errors.ts";
import { ProcessState, type BacklogListener } from "./process-state.ts";

/** A process of another session this client follows (process/attach). */
export interface Attachment {
  readonly sessionId: string;
  readonly processId: string;
  readonly mode: AttachParams["mode"];
  readonly state: ProcessState;
}

type Fire = <E extends "output" | "exited" | "closed">(event: E, value: ClientEvents[E]) => void;

/**
 * The processes a client knows: its own by processId, attached ones by
 * (sessionId, processId), so an attached process never collides with an own
 * one of the same id. Routes notifications to them; a notification whose seq
 * was already seen (replayed after a resume) is dropped.
 */
export class ProcessRegistry {
  private readonly own = new Map<string, ProcessState>();
  private readonly attached = new Map<string, Attachment>();
  /** The client's own session: notifications tagged with another one are for attachments. */
  ownSessionId: string | undefined;

  constructor(
    private readonly bufferBytes: number,
    private readonly onBacklog: BacklogListener,
    private readonly fire: Fire,
  ) {}

  hasOwn(processId: string): boolean {
    return this.own.has(processId);
  }

  addOwn(processId: string): ProcessState {
    const state = new ProcessState(processId, this.bufferBytes, this.onBacklog);
    this.own.set(processId, state);
    return state;
  }

  removeOwn(state: ProcessState): void {
    if (this.own.get(state.processId) === state) this.own.delete(state.processId);
  }

  getAttachment(sessionId: string, processId: string): Attachment | undefined {
    return this.attached.get(processKey(sessionId, processId));
  }

  /** Output before `afterSeq` is not wanted: the log starts there. */
  addAttachment(sessionId: string, processId: string, mode: Attachment["mode"], afterSeq: number): Attachment {
    const state = new ProcessState(processId, this.bufferBytes, this.onBacklog);
    if (afterSeq > 0) state.onSkipped(afterSeq);
    const attachment = { sessionId, processId, mode, state };
    this.attached.set(processKey(sessionId, processId), attachment);
    return attachment;
  }

  /** False if it was no longer registered. */
  removeAttachment(attachment: Attachment): boolean {
    const key = processKey(attachment.sessionId, attachment.processId);
    if (this.attached.get(key) !== attachment) return false;
    this.attached.delete(key);
    return true;
  }

  attachments(): Attachment[] {
    return [...this.attached.values()];
  }

  /** The last seq seen per own process whose output is not closed yet. */
  lastSeenSeqs(): Record<string, number> {
    const seqs: Record<string, number> = {};
    for (const [processId, state] of this.own) seqs[processId] = state.log.liveSeq;
    return seqs;
  }

  /** The connection is gone for good: every reader and `exited` fails with `error`. */
  failAll(error: ExecServerError): void {
    for (const state of this.own.values()) state.onConnectionFailed(error);
    for (const { state } of this.attached.values()) state.onConnectionFailed(error);
    this.own.clear();
    this.attached.clear();
  }

  dispatch(method: ServerNotificationName, params: unknown): void {
    const { processId, sessionId } = params as { processId: string; sessionId?: string };
    const foreign = sessionId !== undefined && sessionId !== this.ownSessionId;
    const attachment = foreign ? this.attached.get(processKey(sessionId, processId)) : undefined;
    const state = foreign ? attachment?.state : this.own.get(processId);
    const tag = foreign ? { sessionId } : {};
    switch (method) {
      case "process/output": {
        const { stream, chunk, seq: sentSeq } = params as NotificationParamsOf<"process/output">;
        const seq = sentSeq ?? (state ? state.log.liveSeq + 1 : 0);
        if (state && seq <= state.log.liveSeq) return; // seen before the connection dropped
        const data = decodeBase64(chunk);
        state?.onOutput({ seq, stream, data });
        this.fire("output", { processId, ...tag, stream, data, seq });
        return;
      }
      case "process/outputSkipped": {
        state?.onSkipped((params as NotificationParamsOf<"process/outputSkipped">).toSeq);
        return;
      }
      case "process/exited": {
        const { exitCode, signal = null, seq } = params as NotificationParamsOf<"process/exited">;
        if (state?.exit) return; // sent again after a resume
        state?.onExited({ exitCode, signal }, seq);
        this.fire("exited", { processId, ...tag, exitCode, signal, seq: seq ?? state?.log.liveSeq ?? 0 });
        return;
      }
      case "process/closed": {
        const { seq } = params as NotificationParamsOf<"process/closed">;
        state?.onClosed(seq);
        // Nothing more will come for it.
        if (attachment) this.removeAttachment(attachment);
        else if (state) this.removeOwn(state);
        this.fire("closed", { processId, ...tag, seq });
        return;
      }
    }
  }
}
