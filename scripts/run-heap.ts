// Heap growth across many `run()` calls (issue 16: a never-settling module-level
// promise kept one reaction per call).
//
//   bun scripts/run-heap.ts [--calls 200000] [--real 2000]
//
// The first figure drives the SDK's `communicate()` (the body of `run()`) with
// a process that has already exited, so 200,000 calls take seconds and only
// the client's own bookkeeping is measured. `--real N` then runs `true` N times
// through a real server (in-process, real children) for the end-to-end figure.
import { heapStats } from "bun:jsc";
import { parseArgs } from "node:util";
import type { OutputCursor } from "../packages/client/src/process/output-cursor.ts";
import type { ProcessHandle } from "../packages/client/src/process/process-handle.ts";
import { communicate } from "../packages/client/src/process/run.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { calls: { type: "string", default: "200000" }, real: { type: "string", default: "0" } },
});
const calls = Number(values.calls);
const realCalls = Number(values.real);

function heapBytes(): number {
  Bun.gc(true);
  Bun.gc(true);
  return heapStats().heapSize;
}
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

// A process that has exited with no output: run() returns at once, so the loop measures only what each call leaves behind.
const exitedProcess = {
  exitStatus: { exitCode: 0, signal: null },
  pid: 1,
  exited: Promise.resolve({ exitCode: 0, signal: null }),
} as unknown as ProcessHandle;
const exitedCursor = { next: async () => "exited", release: () => {} } as unknown as OutputCursor;

for (let i = 0; i < 1000; i++) await communicate(exitedProcess, exitedCursor, undefined, undefined); // warm-up
const before = heapBytes();
for (let i = 0; i < calls; i++) await communicate(exitedProcess, exitedCursor, undefined, undefined);
const after = heapBytes();
console.log(`communicate() x ${calls}: heap ${mib(before)} -> ${mib(after)} MiB (${mib(after - before)} MiB growth)`);

if (realCalls > 0) {
  const { connectInProcess } = await import("../packages/client/src/in-process.ts");
  const client = await connectInProcess();
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp" };
  for (let i = 0; i < 50; i++) await client.run(["true"], { env });
  const realBefore = heapBytes();
  for (let i = 0; i < realCalls; i++) await client.run(["true"], { env });
  const realAfter = heapBytes();
  console.log(`client.run(["true"]) x ${realCalls}: heap ${mib(realBefore)} -> ${mib(realAfter)} MiB (${mib(realAfter - realBefore)} MiB growth)`);
  await client.close();
}
process.exit(0);
