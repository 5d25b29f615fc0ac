import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CANARY_ARGV, CanaryMonitor, type CanaryStats } from "../canary.ts";
import { DaemonProcess, type TransportKind } from "../daemon.ts";
import { describeLeaks, waitDaemonSettled, waitMarkedGone } from "../leak-check.ts";
import { describeProc, openFds } from "../proc-tree.ts";
import { Prng } from "../prng.ts";
import { watchRss, type RssWatchdog } from "../rss-watchdog.ts";
import { ProtocolClient } from "../protocol-client.ts";
import { warmUp } from "../warm-up.ts";
import { openWebSocketWire, stdioWire, type Wire } from "../wire.ts";
import { within } from "../within.ts";
import { CaseGenerator } from "./case-generator.ts";
import type { Discrepancy } from "./expectation.ts";
import { runRound, type RoundOptions, type RoundResult, type Stall } from "./fuzz-round.ts";
import { runOversize, type OversizeResult } from "./oversize.ts";

export interface FuzzOptions {
  /** Total messages, split evenly over the transports. */
  readonly messages: number;
  readonly seed: number;
  readonly transports: readonly TransportKind[];
  /** Messages per connection (websocket) or per daemon (stdio). */
  readonly roundMessages?: number;
  readonly maxMessageBytes?: number;
  /** Longest silence of the websocket canary (on its own connection) that still passes. */
  readonly canaryMaxGapMs?: number;
  /** A daemon above this RSS is killed and the run fails (default 2 GiB). */
  readonly rssLimitBytes?: number;
  readonly log?: (line: string) => void;
}

export interface TransportReport {
  readonly transport: TransportKind;
  readonly messages: number;
  readonly connections: number;
  readonly requestsOwed: number;
  readonly responses: number;
  readonly results: number;
  readonly nullErrors: number;
  readonly notifications: number;
  readonly errorCodes: ReadonlyMap<number, number>;
  readonly internalErrors: ReadonlyMap<string, number>;
  readonly labels: ReadonlyMap<string, number>;
  readonly discrepancies: readonly Discrepancy[];
  readonly discrepancyCount: number;
  readonly canary: CanaryStats;
  readonly oversize: readonly OversizeResult[];
  readonly leaks: readonly string[];
  readonly samplerMisses: ReadonlyMap<string, number>;
  readonly peakRssBytes: number;
  readonly stall: Stall;
  readonly failures: readonly string[];
  readonly durationMs: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly transports: readonly TransportReport[];
  readonly failures: readonly string[];
  readonly durationMs: number;
}

const MARKER_NAME = "EXEC_FUZZ_MARK";
const RSS_LIMIT = 2 * 1024 ** 3;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const rng = new Prng(options.seed);
  const share = Math.ceil(options.messages / options.transports.length);
  let reports: TransportReport[];
  try {
    reports = await Promise.all(
      options.transports.map((transport) => {
        const child = rng.fork();
        return transport === "websocket" ? fuzzWebSocket(options, share, child) : fuzzStdio(options, share, child);
      }),
    );
  } finally {
    if (fuzzRoot.path !== undefined) rmSync(fuzzRoot.path, { recursive: true, force: true });
    fuzzRoot.path = undefined;
  }
  return {
    seed: options.seed,
    transports: reports,
    failures: reports.flatMap((report) => report.failures.map((failure) => `${report.transport}: ${failure}`)),
    durationMs: performance.now() - started,
  };
}

class Accumulator {
  readonly rounds: RoundResult[] = [];
  readonly failures: string[] = [];
  readonly leaks: string[] = [];
  readonly samplerMisses = new Map<string, number>();
  oversize: OversizeResult[] = [];
  canary: CanaryStats = { ticks: 0, maxGapMs: 0, exited: false };
  messages = 0;
  peakRssBytes = 0;

  /** Watches a daemon's memory; call the returned function when it is done. */
  watch(pid: number, limitBytes: number): () => void {
    const watchdog: RssWatchdog = watchRss(pid, limitBytes);
    return () => {
      watchdog.stop();
      this.peakRssBytes = Math.max(this.peakRssBytes, watchdog.peak);
      if (watchdog.tripped !== undefined) {
        this.failures.push(`daemon killed at ${(watchdog.tripped / 2 ** 20).toFixed(0)} MiB RSS (limit ${(limitBytes / 2 ** 20).toFixed(0)} MiB)`);
      }
    };
  }

  add(round: RoundResult, generator: CaseGenerator): void {
    this.rounds.push(round);
    this.messages += round.sent;
    for (const [method, count] of generator.samplerMisses) this.samplerMisses.set(method, (this.samplerMisses.get(method) ?? 0) + count);
    if (round.closedEarly) this.failures.push(`the daemon closed a fuzzed connection: ${JSON.stringify(round.closedEarly)}`);
  }

  worstCanary(stats: CanaryStats): void {
    this.canary = {
      ticks: this.canary.ticks + stats.ticks,
      maxGapMs: Math.max(this.canary.maxGapMs, stats.maxGapMs),
      exited: this.canary.exited || stats.exited,
    };
  }

  /** `maxGapMs` undefined: the canary shares the fuzzed connection, so only its survival is judged. */
  report(transport: TransportKind, started: number, maxGapMs: number | undefined): TransportReport {
    const sum = (pick: (round: RoundResult) => number) => this.rounds.reduce((total, round) => total + pick(round), 0);
    const merge = <K>(pick: (round: RoundResult) => ReadonlyMap<K, number>) => {
      const out = new Map<K, number>();
      for (const round of this.rounds) for (const [key, n] of pick(round)) out.set(key, (out.get(key) ?? 0) + n);
      return out;
    };
    const discrepancyCount = sum((round) => round.tally.discrepancyCount);
    const failures = [...this.failures];
    if (discrepancyCount > 0) failures.push(`${discrepancyCount} response discrepancies`);
    if (this.canary.exited) failures.push("the canary process exited");
    if (maxGapMs !== undefined && this.canary.maxGapMs > maxGapMs) failures.push(`the canary was silent for ${this.canary.maxGapMs} ms`);
    if (this.canary.ticks === 0) failures.push("the canary never ticked");
    for (const result of this.oversize) if (!result.ok) failures.push(`over-size ${result.label}: ${result.detail}`);
    failures.push(...this.leaks);
    return {
      transport,
      messages: this.messages + this.oversize.length,
      connections: this.rounds.length + this.oversize.length + (transport === "websocket" ? 2 : 0),
      requestsOwed: sum((round) => round.tally.requestsOwed),
      responses: sum((round) => round.tally.responses),
      results: sum((round) => round.tally.results),
      nullErrors: sum((round) => round.tally.nullErrors),
      notifications: sum((round) => round.notifications),
      errorCodes: merge((round) => round.tally.errorCodes),
      internalErrors: merge((round) => round.tally.internalErrors),
      labels: merge((round) => round.labels),
      discrepancies: this.rounds.flatMap((round) => round.tally.discrepancies()).slice(0, 30),
      discrepancyCount,
      canary: this.canary,
      oversize: this.oversize,
      leaks: this.leaks,
      samplerMisses: this.samplerMisses,
      peakRssBytes: this.peakRssBytes,
      stall: this.rounds.reduce<Stall>((worst, round) => (round.stall.ms > worst.ms ? round.stall : worst), { ms: 0, endedBy: "" }),
      failures,
      durationMs: performance.now() - started,
    };
  }
}

/**
 * The fuzzed daemons are confined to a scratch directory (--fs-root), which is
 * also where their processes run: fs/* cases (mutated paths like "/" and
 * "../../etc" included) can touch nothing else.
 */
const fuzzRoot = { path: undefined as string | undefined };

function fsRoot(): string {
  return (fuzzRoot.path ??= realpathSync(mkdtempSync(join(tmpdir(), "exec-server-fuzz-root-"))));
}

function daemonArgs(options: FuzzOptions): string[] {
  return ["--max-message-bytes", String(options.maxMessageBytes ?? 1024 * 1024), "--log-level", "error", "--fs-root", fsRoot()];
}

/** One round of `messages` on `wire`: the first two rounds are systematic, the rest random. */
function roundOn(wire: Wire, generator: CaseGenerator, round: number, messages: number, canary?: RoundOptions["canary"]): Promise<RoundResult> {
  return runRound({ wire, generator, messages, systematic: round < 2, floodSize: 1000, ...(canary && { canary }) });
}

function generatorFor(options: FuzzOptions, rng: Prng, marker: string): CaseGenerator {
  const max = options.maxMessageBytes ?? 1024 * 1024;
  return new CaseGenerator({
    rng: rng.fork(),
    markerName: MARKER_NAME,
    markerValue: marker,
    hugeMaxBytes: Math.floor(max / 2),
    cwd: fsRoot(),
    fsRoot: fsRoot(),
  });
}

/**
 * Websocket: one daemon; a canary on its own connection; a fresh connection per
 * round (closed politely or dropped, alternately); over-size messages; then
 * every process gone and the fds back to where they were.
 */
async function fuzzWebSocket(options: FuzzOptions, budget: number, rng: Prng): Promise<TransportReport> {
  const started = performance.now();
  const acc = new Accumulator();
  const marker = `ws-${options.seed}-${process.pid}-${Date.now()}`;
  const env = { PATH: "/usr/bin:/bin", [MARKER_NAME]: marker };
  const daemon = await DaemonProcess.start({ transport: "websocket", args: daemonArgs(options) });
  const url = daemon.url!;
  const unwatch = acc.watch(daemon.pid, options.rssLimitBytes ?? RSS_LIMIT);
  try {
    await warmUp(url, env, fsRoot());
    const fdBaseline = openFds(daemon.pid);

    const canaryWire = await openWebSocketWire(url);
    const monitor = new CanaryMonitor("canary");
    canaryWire.onMessage((text) => monitor.feed(text));
    const canary = new ProtocolClient(canaryWire, { keepOutput: false });
    await canary.handshake("canary");
    await canary.call("process/start", { processId: "canary", argv: CANARY_ARGV, cwd: fsRoot(), env, tty: false });
    await monitor.waitTicks(2);

    const roundSize = options.roundMessages ?? 5000;
    for (let round = 0; acc.messages < budget; round++) {
      const wire = await openWebSocketWire(url);
      const generator = generatorFor(options, rng, marker);
      acc.add(await roundOn(wire, generator, round, Math.min(roundSize, budget - acc.messages)), generator);
      if (round % 2 === 0) wire.close();
      else wire.destroy();
      await within(wire.closed, 5000);
      options.log?.(`websocket round ${round}: ${acc.messages}/${budget} messages, canary ${JSON.stringify(monitor.stats())}`);
    }

    acc.oversize = await runOversize({ transport: "websocket", url, maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024, env, cwd: fsRoot() });
    const alive = await canary.call("process/read", { processId: "canary", waitMs: 0 });
    if (alive.exited) acc.failures.push("the canary exited during the run");
    acc.worstCanary(monitor.stats());
    const probe = await openWebSocketWire(url);
    await new ProtocolClient(probe).handshake("probe").catch((error) => acc.failures.push(`no handshake after the run: ${error}`));
    probe.close();
    canary.close();

    const leaks = await waitDaemonSettled(daemon.pid, fdBaseline);
    acc.leaks.push(...describeLeaks(leaks));
    acc.leaks.push(...(await waitMarkedGone(`${MARKER_NAME}=${marker}`)).map((proc) => `marked survivor: ${describeProc(proc)}`));
  } catch (error) {
    acc.failures.push(`websocket run failed: ${(error as Error).stack ?? error}`);
  } finally {
    unwatch();
    const code = await daemon.stop("SIGTERM");
    if (code !== 0) acc.failures.push(`daemon exited with ${code} on SIGTERM: ${daemon.stderr().slice(-2000)}`);
  }
  return acc.report("websocket", started, options.canaryMaxGapMs ?? 5000);
}

/**
 * Stdio: the daemon's only connection is the fuzzed one, so each round is a
 * fresh daemon with the canary on that same connection; end of stdin must
 * kill everything and end the daemon with status 0.
 */
async function fuzzStdio(options: FuzzOptions, budget: number, rng: Prng): Promise<TransportReport> {
  const started = performance.now();
  const acc = new Accumulator();
  const roundSize = options.roundMessages ?? 5000;
  for (let round = 0; acc.messages < budget; round++) {
    const marker = `stdio-${options.seed}-${process.pid}-${round}-${Date.now()}`;
    const env = { PATH: "/usr/bin:/bin", [MARKER_NAME]: marker };
    const daemon = await DaemonProcess.start({ transport: "stdio", args: daemonArgs(options) });
    const unwatch = acc.watch(daemon.pid, options.rssLimitBytes ?? RSS_LIMIT);
    try {
      const wire = stdioWire(daemon);
      const generator = generatorFor(options, rng, marker);
      const monitor = new CanaryMonitor(`canary-${marker}`);
      const canary = { monitor, env, cwd: fsRoot() };
      acc.add(await roundOn(wire, generator, round, Math.min(roundSize, budget - acc.messages), canary), generator);
      acc.worstCanary(monitor.stats());
      wire.close();
      const code = (await within(daemon.exited(), 15_000)) ?? "timeout";
      if (code !== 0) acc.failures.push(`stdio daemon ended with ${code} after end of stdin: ${daemon.stderr().slice(-2000)}`);
      acc.leaks.push(...(await waitMarkedGone(`${MARKER_NAME}=${marker}`)).map((proc) => `marked survivor: ${describeProc(proc)}`));
    } catch (error) {
      acc.failures.push(`stdio round ${round} failed: ${(error as Error).stack ?? error}`);
    } finally {
      unwatch();
      await daemon.stop("SIGKILL");
    }
    options.log?.(`stdio round ${round}: ${acc.messages}/${budget} messages, canary ${JSON.stringify(acc.canary)}`);
  }
  acc.oversize = await runOversize({ transport: "stdio", maxMessageBytes: 65536, env: { PATH: "/usr/bin:/bin" } });
  // Stdio's canary shares the fuzzed connection: its output rightly waits behind
  // responses when the client reads slowly, so gaps there are reported, not judged.
  return acc.report("stdio", started, undefined);
}
