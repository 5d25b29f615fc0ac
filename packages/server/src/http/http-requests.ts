import {
  decodeBase64Param,
  encodeBase64,
  ErrorCode,
  HTTP_MAX_DELTA_BYTES,
  RpcError,
  type HttpHeader,
  type ParamsOf,
  type ResultOf,
} from "@x/exec-protocol";
import type { LiveSink } from "../process/output/live-sink.ts";

/** Per-connection bounds of http/request (documented in the README). */
export const HttpLimits = {
  /** Requests one connection may have in flight, streamed bodies included. */
  maxInFlight: 16,
  /** Largest buffered (not streamed) response body; also the default of maxBodyBytes. */
  maxBufferedBodyBytes: 16 * 1024 * 1024,
  defaultTimeoutMs: 300_000,
} as const;

/**
 * http/request from the server's machine: fetch with a deadline, a redirect
 * policy and a body cap. Streamed bodies go out as http/request/bodyDelta
 * notifications of at most 1 MiB, paced by the connection's backpressure.
 */
export class HttpRequests {
  private readonly inFlight = new Map<symbol, AbortController>();
  private readonly streamIds = new Set<string>();
  private closed = false;

  constructor(private readonly sink: LiveSink) {}

  async request(p: ParamsOf<"http/request">): Promise<ResultOf<"http/request">> {
    let url: URL;
    try {
      url = new URL(p.url);
    } catch {
      throw RpcError.invalidParams(`url ${JSON.stringify(p.url.slice(0, 200))} is not an absolute URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw RpcError.invalidParams(`url must be http: or https:, not ${url.protocol}`);
    if (p.streamResponse && p.requestId === undefined) throw RpcError.invalidParams("streamResponse needs a requestId to name the deltas");
    if (p.requestId !== undefined && this.streamIds.has(p.requestId)) {
      throw RpcError.invalidRequest(`request ${p.requestId} is still running or streaming on this connection: use another requestId`);
    }
    const requestBody = p.body ? decodeBase64Param(p.body, "body") : undefined;
    if (this.closed) throw RpcError.invalidRequest("connection is closed");
    if (this.inFlight.size >= HttpLimits.maxInFlight) {
      throw RpcError.limitExceeded(
        `too many http requests in flight on this connection (limit ${HttpLimits.maxInFlight})`,
        "httpRequestsInFlight",
        HttpLimits.maxInFlight,
      );
    }
    const headers = new Headers();
    try {
      for (const { name, value } of p.headers ?? []) headers.append(name, value);
    } catch (error) {
      throw RpcError.invalidParams(`invalid header: ${(error as Error).message}`);
    }
    const maxBody = Math.min(p.maxBodyBytes ?? HttpLimits.maxBufferedBodyBytes, HttpLimits.maxBufferedBodyBytes);
    const timeoutMs = p.timeoutMs ?? HttpLimits.defaultTimeoutMs;
    const controller = new AbortController();
    const key = Symbol();
    this.inFlight.set(key, controller);
    // Taken before the fetch: two streams with one id would interleave their deltas.
    const streamId = p.streamResponse ? p.requestId! : undefined;
    if (streamId !== undefined) this.streamIds.add(streamId);
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      this.inFlight.delete(key);
      if (streamId !== undefined) this.streamIds.delete(streamId);
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method: p.method.toUpperCase(),
        headers,
        body: requestBody,
        redirect: p.redirectPolicy === "stop" ? "manual" : "follow",
        signal: controller.signal,
      });
    } catch (error) {
      finish();
      throw failure(error, controller);
    }
    const head = {
      status: response.status,
      headers: [...response.headers].map(([name, value]) => ({ name, value }) satisfies HttpHeader),
      url: response.url || url.href,
    };
    if (streamId !== undefined) {
      // After the answer: the response goes out before the first delta.
      setTimeout(() => void this.pump(response, streamId, controller).finally(finish), 0);
      return { ...head, body: null };
    }
    try {
      const body = await readCapped(response, maxBody);
      return { ...head, body: encodeBase64(body) };
    } catch (error) {
      throw failure(error, controller);
    } finally {
      finish();
    }
  }

  /** The connection is gone: every request is aborted. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight.values()) controller.abort(new Error("connection closed"));
    this.inFlight.clear();
  }

  private async pump(response: Response, requestId: string, controller: AbortController): Promise<void> {
    let seq = 0;
    const send = (delta: Uint8Array, done: boolean, error?: string) => {
      if (this.closed) return;
      this.sink.send({
        method: "http/request/bodyDelta",
        params: { requestId, seq: ++seq, delta: encodeBase64(delta), done, ...(error !== undefined && { error }) },
      });
    };
    const reader = response.body?.getReader();
    if (!reader) return send(new Uint8Array(0), true);
    try {
      for (;;) {
        while (!this.sink.writable && !this.closed) await this.sink.whenWritable();
        if (this.closed) return;
        const { value, done } = await reader.read();
        if (done) return send(new Uint8Array(0), true);
        for (let at = 0; at < value.length; at += HTTP_MAX_DELTA_BYTES) send(value.subarray(at, at + HTTP_MAX_DELTA_BYTES), false);
      }
    } catch (error) {
      send(new Uint8Array(0), true, failure(error, controller).message);
    } finally {
      reader.releaseLock();
    }
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    parts.push(value);
  }
  return Buffer.concat(parts, total);
}

function tooLarge(maxBytes: number): RpcError {
  return new RpcError(ErrorCode.HttpFailed, `response body is larger than ${maxBytes} bytes: raise maxBodyBytes (cap 16 MiB) or use streamResponse`, {
    reason: "bodyTooLarge",
  });
}

function failure(error: unknown, controller: AbortController): RpcError {
  if (error instanceof RpcError) return error;
  const reason = controller.signal.aborted ? String((controller.signal.reason as Error)?.message ?? "aborted") : (error as Error)?.message ?? String(error);
  const kind = controller.signal.aborted && /timed out/.test(reason) ? "timeout" : "network";
  return new RpcError(ErrorCode.HttpFailed, `http request failed: ${reason}`, { reason: kind });
}
