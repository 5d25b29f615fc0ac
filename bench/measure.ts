#!/usr/bin/env bun
// One measurement in a client process of its own: `bun bench/measure.ts '<MeasureRequest JSON>'`.
// Prints `RESULT <Measurement JSON>` on stdout; on failure prints the reason on stderr and exits 1.
import { SIZES } from "./config.ts";
import { stopAll } from "./lib/launch.ts";
import { measureEcho } from "./workloads/echo-latency.ts";
import { measureFileTransfer } from "./workloads/file-transfer.ts";
import { measureIdle } from "./workloads/idle-scale.ts";
import { measurePageEcho } from "./workloads/page-echo.ts";
import type { Measurement, MeasureRequest } from "./workloads/measurement.ts";
import { measureProtocol } from "./workloads/protocol-overhead.ts";
import { measureSlowConsumer } from "./workloads/slow-consumer.ts";
import { measureSpawn } from "./workloads/spawn-rate.ts";
import { measureThroughput } from "./workloads/throughput.ts";

function measure(request: MeasureRequest): Promise<Measurement> {
  const sizes = SIZES[request.mode];
  switch (request.workload) {
    case "pipe-throughput":
    case "pty-throughput":
      return measureThroughput(request.spec, sizes, request.expectedBytes ?? Number.NaN);
    case "echo-latency":
      return measureEcho(request.spec, sizes);
    case "spawn-rate":
      return measureSpawn(request.spec, sizes);
    case "idle-scale":
      return measureIdle(request.spec, sizes);
    case "slow-consumer":
      return measureSlowConsumer(request.spec, sizes);
    case "protocol-overhead":
      return measureProtocol(request.spec, sizes);
    case "page-echo":
      return measurePageEcho(request.spec, sizes);
    case "file-transfer":
      return measureFileTransfer(request.spec);
  }
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
