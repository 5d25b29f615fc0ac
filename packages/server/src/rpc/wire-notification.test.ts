import { expect, test } from "bun:test";
import type { LiveNotification } from "../process/output/live-sink.ts";
import { serializeNotification, toWireNotification } from "./wire-notification.ts";

test("the output fast path serializes the same JSON as the generic path", () => {
  const data = new TextEncoder().encode("hi");
  const notifications: LiveNotification[] = [
    { method: "process/output", params: { processId: 'we"ird\\id\n☃', stream: "stderr", data, seq: 42 } },
    { method: "process/output", params: { processId: "p", stream: "pty", data, seq: 1, sessionId: "s-1" } },
    { method: "process/exited", params: { processId: "p", exitCode: 0, signal: null, seq: 1 } },
  ];
  for (const n of notifications) {
    expect(JSON.parse(serializeNotification(n))).toEqual(toWireNotification(n));
  }
  expect(toWireNotification(notifications[0]!).params).toMatchObject({ chunk: "aGk=" });
});
