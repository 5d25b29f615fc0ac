import type { Sizes } from "../config.ts";
import { quantile } from "../lib/stats.ts";
import { openTarget } from "../targets/open-target.ts";
import type { TargetSpec } from "../targets/target.ts";
import { withTimeout, type Measurement } from "./measurement.ts";

const KEY = new Uint8Array([0x61]);
const WARM_UP = 20;

/** Workload 3: one byte written to a terminal running `cat`, until its echo is back. */
export async function measureEcho(spec: TargetSpec, sizes: Sizes): Promise<Measurement> {
  const target = await openTarget(spec);
  try {
    let received = 0;
    let wake: (() => void) | undefined;
    const session = await target.interactive((chunk) => {
      received += chunk.length;
      wake?.();
    });
    const latencies: number[] = [];
    // The terminal echoes each byte once and `cat` prints nothing until a newline.
    for (let sent = 1; sent <= WARM_UP + sizes.echoCount; sent++) {
      const echoed = new Promise<void>((resolve) => {
        wake = () => {
          if (received >= sent) resolve();
        };
      });
      const started = performance.now();
      session.write(KEY);
      await withTimeout(echoed, 10_000, `echo of byte ${sent}`);
      if (sent > WARM_UP) latencies.push(performance.now() - started);
    }
    await session.close();
    return {
      metrics: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
      details: { count: latencies.length, max: Math.max(...latencies) },
    };
  } finally {
    await target.close();
  }
}
