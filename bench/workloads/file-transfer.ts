import { createHash } from "node:crypto";
import { mkdtempSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecServerClient } from "@x/exec-client";
import { startDaemon } from "../targets/exec-server.ts";
import { childEnv, type TargetSpec } from "../targets/target.ts";
import { MiB, type Measurement } from "./measurement.ts";

/**
 * Workload 8: a file moved through the SDK on one websocket connection:
 * written with fs.openWrite (fs/writeBlock, 2 in flight), read with
 * fs.openRead one block at a time and two in flight, and, for comparison,
 * streamed as `cat FILE` process output on the same connection.
 */
export async function measureFileTransfer(spec: TargetSpec): Promise<Measurement> {
  // The case's command is `cat FILE`: FILE is what gets moved, and `cat` is the comparison.
  const sourceFile = spec.command.at(-1)!;
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), "exec-server-bench-files-")));
  const server = await startDaemon("websocket", { daemonArgs: [...(spec.daemonArgs ?? []), "--fs-root", scratch] });
  const client = await ExecServerClient.connectWebSocket({ url: server.url!, clientName: "bench-files" });
  try {
    const bytes = statSync(sourceFile).size;
    const expectedHash = createHash("sha256").update(await Bun.file(sourceFile).bytes()).digest("hex");
    const target = join(scratch, "copy.bin");
    const rate = (started: number) => bytes / MiB / ((performance.now() - started) / 1000);
    const check = (hash: string, what: string) => {
      if (hash !== expectedHash) throw new Error(`${what}: content differs from the source`);
    };

    let started = performance.now();
    await Bun.file(sourceFile).stream().pipeTo(client.fs.openWrite(target));
    const write = rate(started);
    check(createHash("sha256").update(await Bun.file(target).bytes()).digest("hex"), "fs.openWrite");

    const readWith = async (inFlight: number) => {
      const hash = createHash("sha256");
      const begun = performance.now();
      for await (const part of client.fs.openRead(target, { inFlight })) hash.update(part);
      const result = rate(begun);
      check(hash.digest("hex"), `fs.openRead (${inFlight} in flight)`);
      return result;
    };
    await readWith(2); // warm-up, unmeasured
    const read1 = await readWith(1);
    const read2 = await readWith(2);

    started = performance.now();
    const cat = await client.start({ argv: [...spec.command.slice(0, -1), target], cwd: scratch, env: childEnv() });
    const hash = createHash("sha256");
    for await (const chunk of cat.output()) hash.update(chunk.data);
    const catRate = rate(started);
    check(hash.digest("hex"), "cat through a process");

    return {
      metrics: { write, read1, read2, cat: catRate },
      details: { bytes, blockBytes: MiB },
    };
  } finally {
    await client.close();
    await server.stop("SIGTERM", 3_000);
    rmSync(scratch, { recursive: true, force: true });
  }
}
