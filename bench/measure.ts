#!/usr/bin/env bun
// One measurement in a client process of its own: `bun bench/measure.ts '<MeasureRequest JSON>'`.
// Prints `RESULT <Measurement JSON>` on stdout; on failure prints the reason on stderr and exits 1.
import { SIZES } from "./config.ts";
import { stopAll } from "./lib/launch.ts";
import { measureEcho } from "./workloads/echo-latency.ts";
import { measureFileTransfer } from "./workloads/file-transfer.ts";
import { measureIdle } from "./workloads/idle-scale.ts";
import { measurePageEcho } from "./workloads/page-echo.ts";
import type { Measurement, MeasureRequest, WorkloadId } from "./workloads/measurement.ts";
import { measureProtocol } from "./workloads/protocol-overhead.ts";
import { measureSlowConsumer } from "./workloads/slow-consumer.ts";
import { measureSpawn } from "./workloads/spawn-rate.ts";
import { measureThroughput } from "./workloads/throughput.ts";

type Sizes = (typeof SIZES)[keyof typeof SIZES];

/** Each workload's measuring function; a workload missing here does not compile. */
const MEASURES: Record<WorkloadId, (request: MeasureRequest, sizes: Sizes) => Promise<Measurement>> = {
  "pipe-throughput": (request, sizes) => measureThroughput(request.spec, sizes, request.expectedBytes ?? Number.NaN),
  "pty-throughput": (request, sizes) => measureThroughput(request.spec, sizes, request.expectedBytes ?? Number.NaN),
  "echo-latency": (request, sizes) => measureEcho(request.spec, sizes),
  "spawn-rate": (request, sizes) => measureSpawn(request.spec, sizes),
  "idle-scale": (request, sizes) => measureIdle(request.spec, sizes),
  "slow-consumer": (request, sizes) => measureSlowConsumer(request.spec, sizes),
  "protocol-overhead": (request, sizes) => measureProtocol(request.spec, sizes),
  "page-echo": (request, sizes) => measurePageEcho(request.spec, sizes),
  "file-transfer": (request) => measureFileTransfer(request.spec),
};

function measure(request: MeasureRequest): Promise<Measurement> {
  return MEASURES[request.workload](request, SIZES[request.mode]);
}

// The harness sends SIGTERM when a measurement overruns: leave no server behind.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(1));
  });
}

try {
  const result = await measure(JSON.parse(process.argv[2] ?? "{}") as MeasureRequest);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`FAILED ${(error as Error).message}\n`);
  process.exit(1);
}
