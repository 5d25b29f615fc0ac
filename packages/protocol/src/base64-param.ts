import { decodeBase64 } from "#base64";
import { RpcError } from "./rpc-error.ts";

/**
 * Decodes a base64 param. The schemas' base64 pattern is kept linear (a grouped
 * one stalled on multi-MiB strings), so the length rule is checked here, once.
 * `what` names the param in the -32602 message.
 */
export function decodeBase64Param(text: string, what: string): Uint8Array {
  if (text.length % 4 !== 0) throw RpcError.invalidParams(`${what} is not base64 (length must be a multiple of 4)`);
  return decodeBase64(text);
}
