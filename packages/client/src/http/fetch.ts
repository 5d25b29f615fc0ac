import { encodeBase64 } from "@x/exec-protocol";
import type { MachineRpc } from "../machine-rpc.ts";
import type { BodyStreams } from "./body-streams.ts";

export interface RemoteFetchInit extends RequestInit {
  /** Deadline for the whole exchange on the server, body included (default: the server's, 300 s). */
  readonly timeoutMs?: number;
}

// Statuses whose Response must have a null body.
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` run by the server (http/request with streamResponse): the URL is
 * reached from the server's machine, so `http://127.0.0.1:3000` is the dev
 * server running there. Resolves a standard Response whose body streams in.
 * `redirect: "manual"` returns the 3xx itself.
 */
export async function remoteFetch(
  rpc: MachineRpc,
  bodies: BodyStreams,
  requestId: string,
  input: string | URL | Request,
  init: RemoteFetchInit = {},
): Promise<Response> {
  const { timeoutMs, ...requestInit } = init;
  const request = input instanceof Request ? new Request(input, requestInit) : new Request(String(input), requestInit);
  if (request.redirect === "error") throw new TypeError("redirect: \"error\" is not supported by the remote fetch");
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  const stream = bodies.create(requestId);
  let result;
  try {
    result = await rpc.request("http/request", {
      method: request.method,
      url: request.url,
      headers: [...request.headers].map(([name, value]) => ({ name, value })),
      ...(body && { body: encodeBase64(body) }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      redirectPolicy: request.redirect === "manual" ? "stop" : "follow",
      requestId,
      streamResponse: true,
    });
  } catch (error) {
    bodies.fail(requestId, error);
    throw error;
  }
  const headers = new Headers();
  for (const { name, value } of result.headers) headers.append(name, value);
  const nullBody = NULL_BODY_STATUSES.has(result.status) || request.method === "HEAD";
  if (nullBody) void stream.cancel().catch(() => {});
  const response = new Response(nullBody ? null : stream, { status: result.status, headers });
  if (result.url !== undefined) Object.defineProperty(response, "url", { value: result.url });
  return response;
}
