import { expect, test } from "bun:test";
import type { LiveNotification } from "../process/output/live-sink.ts";
import { serializeNotification, toWireNotification } from "./wire-notification.ts";

const data = new TextEncoder().encode("hi");
const notifications: LiveNotification[] = [
  { method: "process/output", params: { processId: 'we"ird\\id\n☃', stream: "stderr", data, seq: 42 } },
  { method: "process/output", params: { processId: "p", stream: "pty", data, seq: 1, sessionId: "s-1" } },
  { method: "process/exited", params: { processId: "p", exitCode: 0, signal: null, seq: 1 } },
];

test("the output fast path serializes the same JSON as the generic path", () => {
  for (const n of notifications) {
    expect(JSON.parse(serializeNotification(n))).toEqual(toWireNotification(n));
  }
  expect(toWireNotification(notifications[0]!).params).toMatchObject({ chunk: "aGk=" });
});

test("a JSON-RPC 2.0 peer gets the jsonrpc member on every notification; a v0 peer never does", () => {
  for (const n of notifications) {
    expect(JSON.parse(serializeNotification(n, true))).toEqual({ jsonrpc: "2.0", ...toWireNotification(n) });
    expect(serializeNotification(n, false)).not.toContain("jsonrpc");
  }
});
