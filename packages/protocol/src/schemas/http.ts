import Type from "typebox";
import { Base64 } from "./common.ts";

export const HttpHeader = Type.Object({ name: Type.String({ minLength: 1, maxLength: 8192 }), value: Type.String({ maxLength: 65536 }) });
export type HttpHeader = Type.Static<typeof HttpHeader>;

/** Largest body delta the server sends in one notification. */
export const HTTP_MAX_DELTA_BYTES = 1024 * 1024;

export const HttpRequestParams = Type.Object({
  method: Type.String({ minLength: 1, maxLength: 32, pattern: "^[A-Za-z]+$" }),
  url: Type.String({ minLength: 1, maxLength: 65536, description: "http: or https: URL, fetched from the server's machine." }),
  headers: Type.Optional(Type.Array(HttpHeader, { maxItems: 256 })),
  body: Type.Optional(Type.Union([Base64, Type.Null()], { description: "Request body bytes." })),
  timeoutMs: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: 3_600_000 }), Type.Null()], {
      description: "Deadline for the whole exchange, body included (default 300,000).",
    }),
  ),
  redirectPolicy: Type.Optional(Type.Enum(["follow", "stop"], { description: "`follow` (default, up to 20) or `stop`: a 3xx is the answer." })),
  requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: "Client-chosen; names the body deltas." })),
  streamResponse: Type.Optional(
    Type.Boolean({ description: "Answer at the headers; the body follows as http/request/bodyDelta notifications (needs requestId)." }),
  ),
  maxBodyBytes: Type.Optional(
    Type.Integer({ minimum: 0, description: "Buffered answers only: refuse a body larger than this (default and cap: 16 MiB)." }),
  ),
});
export type HttpRequestParams = Type.Static<typeof HttpRequestParams>;

export const HttpRequestResult = Type.Object({
  status: Type.Integer(),
  headers: Type.Array(HttpHeader),
  body: Type.Union([Base64, Type.Null()], { description: "The whole body; null when streamed." }),
  url: Type.Optional(Type.String({ description: "The final URL, after redirects." })),
});
export type HttpRequestResult = Type.Static<typeof HttpRequestResult>;

export const HttpBodyDeltaNotification = Type.Object({
  requestId: Type.String(),
  seq: Type.Integer({ minimum: 1, description: "1 for the first delta, +1 per delta." }),
  delta: Base64,
  done: Type.Boolean({ description: "The last delta: the body is complete, or `error` says why it ended." }),
  error: Type.Optional(Type.String()),
});
export type HttpBodyDeltaNotification = Type.Static<typeof HttpBodyDeltaNotification>;
