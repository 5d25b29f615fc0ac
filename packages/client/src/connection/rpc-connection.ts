import { MAX_IN_FLIGHT_REQUESTS, type RpcErrorObject, type Transport } from "@x/exec-protocol";
import { ClientErrorCode, closedError, createError, fromRpcError, timeoutError, type ConnectionClosedError } from "../errors.ts";

/** One connection's state; the client adds "reconnecting" on top (see SessionLink). */
export type RpcConnectionState = "connecting" | "open" | "closed";

/**
 * Calls one connection may have awaiting an answer: the server answers more with
 * -32001, so the client refuses them before they cost a message, a timer and a map entry.
 */
const MAX_PENDING_CALLS = MAX_IN_FLIGHT_REQUESTS;

interface PendingCall {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

export interface ConnectionEvents {
  notification(method: string, params: unknown): void;
  closed(error: ConnectionClosedError): void;
}

/**
 * JSON-RPC over any transport: request ids, the pending map, and one explicit
 * state. Ending, for whatever reason, rejects every pending call with the same
 * ConnectionClosedError at once.
 */
export class RpcConnection {
  private stateValue: RpcConnectionState = "connecting";
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private closeError: ConnectionClosedError | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly events: ConnectionEvents,
  ) {
    transport.start({
      message: (message) => this.receive(message),
      closed: (reason) => this.end(closedError(`connection closed: ${reason}`)),
    });
  }

  get state(): RpcConnectionState {
    return this.stateValue;
  }

  /** The error pending and future calls fail with, once closed. */
  get closedWith(): ConnectionClosedError | undefined {
    return this.closeError;
  }

  markOpen(): void {
    if (this.stateValue === "connecting") this.stateValue = "open";
  }

  request(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (this.closeError) return Promise.reject(this.closeError);
    if (this.pending.size >= MAX_PENDING_CALLS) {
      return Promise.reject(
        createError(
          ClientErrorCode.TooManyRequests,
          `too many requests in flight: ${this.pending.size} calls await an answer (limit ${MAX_PENDING_CALLS})`,
          { method },
        ),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(timeoutError(`${method} got no answer within ${timeoutMs} ms`, { method }));
            }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.transport.send({ id, method, params });
    });
  }

  /** Flow control, where the transport has it: see Transport.pause. */
  pause(): void {
    if (!this.closeError) this.transport.pause?.();
  }

  resume(): void {
    if (!this.closeError) this.transport.resume?.();
  }

  notify(method: string, params: unknown): void {
    if (!this.closeError) this.transport.send({ method, params });
  }

  /** Closes from our side; resolves once the transport has released everything. */
  async close(reason = "closed by the client"): Promise<void> {
    this.end(closedError(`connection closed: ${reason}`));
    await this.transport.close();
  }

  private end(error: ConnectionClosedError): void {
    if (this.closeError) return;
    this.closeError = error;
    this.stateValue = "closed";
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    this.events.closed(error);
  }

  private receive(message: unknown): void {
    if (this.closeError || typeof message !== "object" || message === null) return;
    const { id, method, params, result, error } = message as Record<string, unknown>;
    if (typeof method === "string") {
      // Server-to-client requests are not part of the protocol: only notifications.
      if (id === undefined) this.events.notification(method, params);
      return;
    }
    if (typeof id !== "number") return; // e.g. an error about a message the server could not parse
    const call = this.pending.get(id);
    if (!call) return; // timed out already
    this.pending.delete(id);
    clearTimeout(call.timer);
    if (error !== undefined) call.reject(fromRpcError(call.method, error as RpcErrorObject));
    else call.resolve(result);
  }
}
