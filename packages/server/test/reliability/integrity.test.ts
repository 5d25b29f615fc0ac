import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { newMarker } from "@x/exec-test-kit/marker.ts";
import { Prng } from "@x/exec-test-kit/prng.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { warmUp } from "@x/exec-test-kit/warm-up.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// Every byte a child writes reaches the client, in order, over process/output
// notifications: 1,000 short-lived children, 16 at a time on one websocket,
// random binary output from 0 B to 1 MiB, each hashed by the child itself.

const CHILDREN = 1000;
const IN_FLIGHT = 16;
const MAX_BYTES = 1024 * 1024;
const EDGE_SIZES = [0, 1, 4095, 4096, 4097, 65535, 65536, 65537, MAX_BYTES];

const guard = new LeakGuard();
const { entry, env } = newMarker("integrity");
let daemon: DaemonProcess;

beforeAll(async () => {
  // Exited processes are dropped quickly: 1,000 retained rings would be ~0.5 GB.
  daemon = await DaemonProcess.start({ transport: "websocket", args: ["--log-level", "error", "--exited-retention-ms", "2000"] });
  await warmUp(daemon.url!);
  guard.trackDaemon(daemon.pid);
  guard.trackMarker(entry);
});

afterAll(() => guard.assertCleanAround(() => daemon.stop()));

interface Outcome {
  readonly size: number;
  readonly problems: string[];
}

test(`${CHILDREN} children, ${IN_FLIGHT} at a time: every byte in order, hashes equal, exit codes right`, async () => {
  const seed = Date.now() >>> 0;
  const rng = new Prng(seed);
  const plan = Array.from({ length: CHILDREN }, (_, index) => ({
    size: index < EDGE_SIZES.length ? EDGE_SIZES[index]! : randomSize(rng),
    exitCode: rng.pick([0, 0, 1, 2, 3, 42, 100, 127, 128, 255]),
  }));
  const client = new ProtocolClient(await openWebSocketWire(daemon.url!));
  await client.handshake("integrity");
  const started = performance.now();
  const outcomes: Outcome[] = [];
  let next = 0;

  const runOne = async (index: number): Promise<Outcome> => {
    const { size, exitCode } = plan[index]!;
    const processId = `i${index}`;
    const script = `head -c ${size} /dev/urandom | tee >(sha256sum >&2); exit ${exitCode}`;
    await client.call("process/start", { processId, argv: ["bash", "-c", script], cwd: tmpdir(), env, tty: false });
    // closed: both streams at EOF, so the hash (written by a descendant) is in too.
    await client.waitClosed(processId, 30_000);
    const record = client.process(processId);
    const stdout = record.output("stdout");
    const reported = record.output("stderr").toString().split(" ")[0];
    const problems: string[] = [];
    if (stdout.length !== size) problems.push(`${processId}: ${stdout.length} bytes, expected ${size}`);
    if (createHash("sha256").update(stdout).digest("hex") !== reported) problems.push(`${processId}: sha256 differs (child says ${reported})`);
    if (record.seqErrors !== 0) problems.push(`${processId}: ${record.seqErrors} chunks out of sequence`);
    if (record.skipped.length > 0) problems.push(`${processId}: output skipped ${JSON.stringify(record.skipped)}`);
    if (record.exited?.exitCode !== exitCode || record.exited.signal !== null) {
      problems.push(`${processId}: exited ${JSON.stringify(record.exited)}, expected code ${exitCode}`);
    }
    if (record.closed?.seq !== record.lastSeq) problems.push(`${processId}: closed at seq ${record.closed?.seq}, last chunk ${record.lastSeq}`);
    client.forget(processId);
    return { size, problems };
  };

  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < CHILDREN) outcomes.push(await runOne(next++));
    }),
  );
  client.close();
  const seconds = (performance.now() - started) / 1000;
  const bytes = outcomes.reduce((sum, outcome) => sum + outcome.size, 0);
  console.log(
    `integrity: ${outcomes.length} children, ${(bytes / 2 ** 20).toFixed(1)} MiB checked in ${seconds.toFixed(1)} s ` +
      `(${(bytes / 2 ** 20 / seconds).toFixed(1)} MiB/s), seed ${seed}`,
  );
  expect(outcomes.length).toBe(CHILDREN);
  expect(outcomes.flatMap((outcome) => outcome.problems)).toEqual([]);
}, 120_000);

/** Half uniform over 0..1 MiB, half log-uniform (many small outputs), to keep the run near 30 s. */
function randomSize(rng: Prng): number {
  if (rng.chance(0.5)) return rng.int(MAX_BYTES + 1);
  return Math.floor(2 ** (rng.next() * 20));
}
