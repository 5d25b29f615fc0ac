import { CANARY_ARGV, type CanaryMonitor } from "../canary.ts";
import type { CloseInfo, Wire } from "../wire.ts";
import type { CaseGenerator } from "./case-generator.ts";
import type { FuzzCase } from "./fuzz-case.ts";
import { expectFor, idKey, inboundTexts, isValidId, ResponseTally } from "./expectation.ts";

export interface RoundOptions {
  readonly wire: Wire;
  readonly generator: CaseGenerator;
  /** Messages to send in this round, all phases included. */
  readonly messages: number;
  readonly systematic: boolean;
  readonly floodSize: number;
  /** Start this canary on the fuzzed connection itself (stdio has no other connection). */
  readonly canary?: { readonly monitor: CanaryMonitor; readonly env: Record<string, string>; readonly cwd: string };
  /** How long to wait without progress for owed responses before giving up. */
  readonly stallTimeoutMs?: number;
}

/** The daemon's longest silence while it owed responses, and what it answered next. */
export interface Stall {
  readonly ms: number;
  /** Label and size of the request whose response ended the silence: usually the one that caused it. */
  readonly endedBy: string;
}

export interface RoundResult {
  readonly sent: number;
  readonly stall: Stall;
  readonly tally: ResponseTally;
  readonly notifications: number;
  readonly labels: ReadonlyMap<string, number>;
  /** Set when the daemon closed the connection during the round. */
  readonly closedEarly?: CloseInfo;
}

const MAX_OUTSTANDING = 1000;

/**
 * One fuzzed connection: requests before the handshake, the handshake, then the
 * systematic sweep, a pipelined flood and random mutations, every owed response
 * counted. Ends when all owed responses arrived or progress stalls.
 */
export async function runRound(options: RoundOptions): Promise<RoundResult> {
  const { wire, generator } = options;
  const tally = new ResponseTally();
  const labels = new Map<string, number>();
  let notifications = 0;
  let sent = 0;
  const sentKeys = new Map<string, string>();
  let lastInbound = performance.now();
  // Silences are tracked from the handshake on: before it, a stdio daemon may still be starting.
  let tracking = false;
  let stall: Stall = { ms: 0, endedBy: "" };
  wire.onMessage((text) => {
    options.canary?.monitor.feed(text);
    const now = performance.now();
    const silence = now - lastInbound;
    lastInbound = now;
    let parsed: Record<string, unknown> | Array<Record<string, unknown>>;
    try {
      parsed = JSON.parse(text);
    } catch {
      tally.malformed.push(text.slice(0, 300));
      return;
    }
    // A batch's reply: one array holding only responses, never empty.
    if (Array.isArray(parsed) && parsed.length === 0) tally.malformed.push(text.slice(0, 300));
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof message?.method === "string") {
        if (Array.isArray(parsed)) tally.malformed.push(text.slice(0, 300));
        else notifications++;
        continue;
      }
      tally.record(message, text);
      if (tracking && silence > stall.ms && tally.outstanding > 0 && isValidId(message.id)) {
        stall = { ms: Math.round(silence), endedBy: sentKeys.get(idKey(message.id)) ?? "?" };
      }
    }
  });

  const send = (fuzzCase: FuzzCase) => {
    for (const text of inboundTexts(fuzzCase.payload, wire.kind)) {
      const expectations = expectFor(text);
      tally.expect(expectations);
      for (const expectation of expectations) {
        if (expectation.kind === "response") sentKeys.set(expectation.key, `${fuzzCase.label} (${text.length} chars)`);
      }
    }
    if (typeof fuzzCase.payload === "string" && wire.kind === "websocket") wire.send(fuzzCase.payload);
    else if (wire.kind === "stdio") wire.sendRaw(withNewline(fuzzCase.payload));
    else wire.sendRaw(fuzzCase.payload);
    const family = fuzzCase.label.split(":")[0]!;
    labels.set(family, (labels.get(family) ?? 0) + 1);
    sent++;
  };
  const sendAll = async (cases: readonly FuzzCase[], pauseEvery = 100) => {
    for (const [index, fuzzCase] of cases.entries()) {
      if (sent >= options.messages || wire.isClosed) return;
      send(fuzzCase);
      if (index % pauseEvery === pauseEvery - 1) await backoff();
    }
  };
  const backoff = async () => {
    await wire.flush();
    while (tally.outstanding > MAX_OUTSTANDING && !wire.isClosed) await Bun.sleep(2);
  };

  await sendAll(generator.preHandshake());
  await waitOwed(tally, wire, options.stallTimeoutMs ?? 15_000);

  // The handshake goes through the same counting path: its response is owed too.
  const initialize = { id: generator.nextId(), method: "initialize", params: { clientName: "fuzz" } };
  send({ label: "handshake:initialize", payload: JSON.stringify(initialize) });
  await waitOwed(tally, wire, options.stallTimeoutMs ?? 15_000);
  send({ label: "handshake:initialized", payload: JSON.stringify({ method: "initialized" }) });
  tracking = true;

  if (options.canary) {
    const { monitor, env, cwd } = options.canary;
    const params = { processId: monitor.processId, argv: CANARY_ARGV, cwd, env, tty: false };
    send({ label: "canary:start", payload: JSON.stringify({ id: generator.nextId(), method: "process/start", params }) });
    await monitor.waitTicks(2).catch(() => {});
  }

  if (options.systematic) await sendAll(generator.systematic());
  // A flood: pipelined with no pause at all.
  await sendAll(generator.flood(options.floodSize), Number.MAX_SAFE_INTEGER);
  while (sent < options.messages && !wire.isClosed) {
    send(generator.random());
    if (sent % 100 === 0) await backoff();
  }
  await wire.flush();
  await waitOwed(tally, wire, options.stallTimeoutMs ?? 15_000);
  // A late duplicate would arrive right behind its twin.
  await Bun.sleep(50);
  const closedEarly = wire.isClosed ? await wire.closed : undefined;
  return { sent, stall, tally, notifications, labels, closedEarly };
}

function withNewline(payload: string | Uint8Array): string | Uint8Array {
  return typeof payload === "string" ? `${payload}\n` : Buffer.concat([payload, Buffer.from("\n")]);
}

/** Waits until nothing is owed, the connection closes, or nothing arrives for `stallMs`. */
async function waitOwed(tally: ResponseTally, wire: Wire, stallMs: number): Promise<void> {
  let last = tally.outstanding;
  let lastProgress = performance.now();
  while (tally.outstanding > 0 && !wire.isClosed) {
    await Bun.sleep(5);
    if (tally.outstanding !== last) {
      last = tally.outstanding;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > stallMs) {
      return;
    }
  }
}
