import { decodeBase64, type NotificationParamsOf } from "@x/exec-protocol";

type Delta = NotificationParamsOf<"http/request/bodyDelta">;

/**
 * Routes http/request/bodyDelta notifications into response body streams.
 * A stream is registered before its request is sent, so deltas that overtake
 * the answer are kept, in seq order.
 */
export class BodyStreams {
  private readonly open = new Map<string, ReadableStreamDefaultController<Uint8Array>>();

  /** A body stream for `requestId`; `onCancel` runs when the reader gives up. */
  create(requestId: string): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.open.set(requestId, controller);
      },
      cancel: () => {
        this.open.delete(requestId);
      },
    });
  }

  fail(requestId: string, error: unknown): void {
    const controller = this.open.get(requestId);
    this.open.delete(requestId);
    controller?.error(error);
  }

  dispatch(params: Delta): void {
    const controller = this.open.get(params.requestId);
    if (!controller) return;
    const bytes = decodeBase64(params.delta);
    if (bytes.length > 0) controller.enqueue(bytes);
    if (!params.done) return;
    this.open.delete(params.requestId);
    if (params.error !== undefined) controller.error(new Error(`response body failed: ${params.error}`));
    else controller.close();
  }

  failAll(error: unknown): void {
    for (const id of [...this.open.keys()]) this.fail(id, error);
  }
}
