import { expect, test } from "bun:test";
import type { ServerNotification } from "@x/exec-protocol";
import { serializeNotification } from "./rpc-connection.ts";

test("the output fast path serializes exactly like JSON.stringify", () => {
  const notifications: ServerNotification[] = [
    { method: "process/output", params: { processId: 'we"ird\\id\n☃', stream: "stderr", chunk: "aGk=", seq: 42 } },
    { method: "process/exited", params: { processId: "p", exitCode: 0, signal: null, seq: 1 } },
  ];
  for (const n of notifications) {
    expect(JSON.parse(serializeNotification(n))).toEqual(JSON.parse(JSON.stringify(n)));
    expect(serializeNotification(n)).toBe(JSON.stringify(n));
  }
});
