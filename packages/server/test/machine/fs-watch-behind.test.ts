import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDaemon } from "@x/exec-test-kit/daemon.ts";
import { clientFrame, rawUpgrade, type RawSocket } from "@x/exec-test-kit/raw-socket.ts";
import { startParams } from "@x/exec-test-kit/start-params.ts";
import { scratchDir } from "./machine-daemon.ts";

/** Sends one message; for a request, reads frames until its answer (output frames in between are dropped). */
async function call(socket: RawSocket, id: number | undefined, method: string, params: unknown): Promise<any> {
  await socket.write(clientFrame(JSON.stringify(id === undefined ? { method, params } : { id, method, params })));
  if (id === undefined) return undefined;
  for (;;) {
    const frame = await socket.readFrame();
    if (frame.opcode !== 0x1) continue;
    const message = JSON.parse(frame.payload.toString());
    if (message.id === id) return message;
  }
}

test("a watch keeps reporting after changes arrive while the connection is behind", async () => {
  const scratch = scratchDir("fs-watch-behind");
  const daemon = await startDaemon("websocket", ["--fs-root", scratch.path]);
  const port = Number(new URL(daemon.url!).port);
  const { status, socket } = await rawUpgrade(port);
  try {
    expect(status).toBe(101);
    await call(socket, 1, "initialize", { clientName: "behind" });
    await call(socket, undefined, "initialized", {});
    expect((await call(socket, 2, "fs/watch", { watchId: "w", path: scratch.path })).error).toBeUndefined();
    const flood = startParams("flood", ["sh", "-c", "exec cat /dev/zero"], { cwd: scratch.path, env: { PATH: "/usr/bin:/bin", HOME: scratch.path } });
    expect((await call(socket, 3, "process/start", flood)).error).toBeUndefined();
    // Stop reading: the daemon's outbound queue fills with output and the connection is behind.
    socket.socket.pause();
    await Bun.sleep(1000);
    writeFileSync(join(scratch.path, "first"), "1");
    await Bun.sleep(300); // the first flush now waits for the connection
    writeFileSync(join(scratch.path, "second"), "2");
    await Bun.sleep(300); // its flush comes while the first one still waits
    await socket.write(clientFrame(JSON.stringify({ id: 4, method: "process/terminate", params: { processId: "flood" } })));
    socket.socket.resume();
    writeFileSync(join(scratch.path, "third"), "3");
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (!seen.has(join(scratch.path, "third")) && Date.now() < deadline) {
      const frame = await socket.readFrame(Math.max(1, deadline - Date.now())).catch(() => undefined);
      if (frame === undefined) break;
      if (frame.opcode !== 0x1) continue;
      const message = JSON.parse(frame.payload.toString());
      if (message.method !== "fs/changed") continue;
      for (const change of message.params.changes) seen.add(change.path);
    }
    expect([...seen].sort()).toEqual(["first", "second", "third"].map((name) => join(scratch.path, name)));
  } finally {
    socket.destroy();
    await daemon.stop();
    scratch.dispose();
  }
}, 60_000);
