import { PROTOCOL_VERSION } from "./version.ts";
import { ErrorCode } from "./error-codes.ts";
import { ClientNotifications, Methods, ServerNotifications } from "./methods.ts";
import { ErrorMessage, NotificationMessage, RequestMessage, ResultMessage } from "./jsonrpc.ts";

/** The whole protocol as one JSON Schema document, for clients in other languages. */
export function protocolJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  const methods: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(Methods)) {
    const base = defName(name);
    defs[`${base}Params`] = spec.params;
    defs[`${base}Result`] = spec.result;
    methods[name] = {
      params: { $ref: `#/$defs/${base}Params` },
      result: { $ref: `#/$defs/${base}Result` },
    };
  }
  const notifications: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries({ ...ServerNotifications, ...ClientNotifications })) {
    const base = `${defName(name)}Notification`;
    defs[base] = schema;
    notifications[name] = { params: { $ref: `#/$defs/${base}` } };
  }
  defs.Request = RequestMessage;
  defs.Notification = NotificationMessage;
  defs.Result = ResultMessage;
  defs.Error = ErrorMessage;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `urn:${PROTOCOL_VERSION}`,
    title: `${PROTOCOL_VERSION} wire protocol`,
    description:
      "JSON-RPC 2.0 messages without the jsonrpc member: one per line over stdio, one per websocket text frame.",
    "x-protocol-version": PROTOCOL_VERSION,
    "x-error-codes": ErrorCode,
    "x-methods": methods,
    "x-notifications": notifications,
    $defs: defs,
  };
}

function defName(method: string): string {
  return method
    .split(/[/_]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}
