import { decodeBase64, type NotificationParamsOf } from "@x/exec-protocol";

type Delta = NotificationParamsOf<"http/request/bodyDelta">;

/** Unread body bytes a fetch Response may hold before the connection stops being read. */
export const BODY_BUFFER_BYTES = 8 * 1024 * 1024;

interface OpenBody {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Identity in the client's backlog set. */
  readonly key: object;
}

/**
 * Routes http/request/bodyDelta notifications into response body streams.
 * A stream is registered before its request is sent, so deltas that overtake
 * the answer are kept, in seq order. A reader that falls more than
 * BODY_BUFFER_BYTES behind pauses the connection (the server then paces the
 * body by backpressure), so an unread body never grows without bound here.
 */
export class BodyStreams {
  private readonly open = new Map<string, OpenBody>();

  constructor(private readonly backlog: (key: object, full: boolean) => void) {}

  create(requestId: string): ReadableStream<Uint8Array> {
    const key = {};
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.open.set(requestId, { controller, key });
        },
        pull: () => this.backlog(key, false),
        cancel: () => this.forget(requestId),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: BODY_BUFFER_BYTES }),
    );
  }

  fail(requestId: string, error: unknown): void {
    const body = this.open.get(requestId);
    this.forget(requestId);
    body?.controller.error(error);
  }

  dispatch(params: Delta): void {
    const body = this.open.get(params.requestId);
    if (!body) return;
    const bytes = decodeBase64(params.delta);
    if (bytes.length > 0) body.controller.enqueue(bytes);
    if (!params.done) {
      if ((body.controller.desiredSize ?? 1) <= 0) this.backlog(body.key, true);
      return;
    }
    this.forget(params.requestId);
    if (params.error !== undefined) body.controller.error(new Error(`response body failed: ${params.error}`));
    else body.controller.close();
  }

  failAll(error: unknown): void {
    for (const id of [...this.open.keys()]) this.fail(id, error);
  }

  private forget(requestId: string): void {
    const body = this.open.get(requestId);
    if (!body) return;
    this.open.delete(requestId);
    this.backlog(body.key, false);
  }
}
