import type { Sizes } from "../config.ts";
import { execServerTarget } from "../targets/exec-server.ts";
import { childEnv, type TargetSpec } from "../targets/target.ts";
import { withTimeout, type Measurement } from "./measurement.ts";

const WARM_UP = 200;

/** Workload 7: sequential `process/read` round trips on a process that has exited. */
export async function measureProtocol(spec: TargetSpec, sizes: Sizes): Promise<Measurement> {
  const target = await execServerTarget(spec);
  try {
    const rpc = target.rpc();
    const processId = "finished";
    const exited = new Promise<void>((resolve) => rpc.on("process/exited", processId, () => resolve()));
    await rpc.call("process/start", { processId, argv: spec.command, cwd: "/tmp", env: childEnv(), tty: false });
    await withTimeout(exited, 10_000, "exit of the finished process");
    const read = () => rpc.call("process/read", { processId, afterSeq: 0, maxBytes: 65536, waitMs: 0 });
    for (let i = 0; i < WARM_UP; i++) await read();
    const started = performance.now();
    for (let i = 0; i < sizes.readRoundTrips; i++) {
      await read();
    }
    return { metrics: { roundTrips: sizes.readRoundTrips / ((performance.now() - started) / 1000) } };
  } finally {
    await target.close();
  }
}
