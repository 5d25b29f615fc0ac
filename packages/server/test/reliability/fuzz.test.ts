import { afterAll, describe, expect, test } from "bun:test";
import { Methods } from "@x/exec-protocol";
import { CaseGenerator } from "@x/exec-test-kit/fuzz/case-generator.ts";
import { expectFor, inboundTexts, ResponseTally } from "@x/exec-test-kit/fuzz/expectation.ts";
import { runFuzz } from "@x/exec-test-kit/fuzz/run-fuzz.ts";
import { Prng } from "@x/exec-test-kit/prng.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// A bounded run of scripts/fuzz.ts inside the suite (the CI-sized run is
// `bun scripts/fuzz.ts`), plus checks that the fuzzer itself can fail.

const guard = new LeakGuard();
afterAll(() => guard.assertClean());

test("bounded fuzz over stdio and websocket: every request answered once, the canary streams, nothing leaks", async () => {
  const seed = Date.now() >>> 0;
  // The canary bound is loose here: this machine is shared, and stalls have their own regression tests.
  const report = await runFuzz({ messages: 8000, seed, transports: ["websocket", "stdio"], roundMessages: 4000, canaryMaxGapMs: 10_000 });
  for (const transport of report.transports) {
    console.log(
      `fuzz ${transport.transport}: ${transport.messages} messages, ${transport.requestsOwed} requests, ` +
        `${transport.responses} responses, canary gap ${transport.canary.maxGapMs} ms (seed ${seed})`,
    );
    expect(transport.discrepancies).toEqual([]);
    expect(transport.requestsOwed).toBeGreaterThan(2000);
    // The canary ticks every 50 ms; with the fs/http methods fewer cases spawn processes, so a
    // round of this size takes about half a second: the gap bound above is what matters.
    expect(transport.canary.ticks).toBeGreaterThan(5);
  }
  expect(report.failures).toEqual([]);
}, 120_000);

describe("the fuzzer", () => {
  test("samples valid params for every method in the Methods table, new ones included", () => {
    const generator = new CaseGenerator({
      rng: new Prng(1),
      markerName: "M",
      markerValue: "v",
      hugeMaxBytes: 4096,
      cwd: "/tmp",
      fsRoot: "/tmp/exec-server-fuzz-never-created",
    });
    expect(generator.methods.map((entry): string => entry.name).sort()).toEqual(Object.keys(Methods).sort());
    for (const entry of generator.methods) {
      for (let i = 0; i < 50; i++) generator.validParams(entry, i % 2 === 0);
    }
    expect(Object.fromEntries(generator.samplerMisses)).toEqual({});
    const labels = new Set(generator.systematic().map((fuzzCase) => fuzzCase.label));
    for (const name of Object.keys(Methods)) expect(labels.has(`sys:type:${name}`) || labels.has(`sys:params:${name}`)).toBe(true);
  });

  test("the tally reports a missing, a duplicate and an unexpected response", () => {
    const tally = new ResponseTally();
    for (const id of [1, 2, "three"]) tally.expect(expectFor(JSON.stringify({ id, method: "x" })));
    tally.expect(expectFor("not json"));
    const reply = (message: Record<string, unknown>) => tally.record(message, JSON.stringify(message));
    reply({ id: 1, result: {} });
    reply({ id: "three", error: { code: -32600, message: "no" } });
    reply({ id: "three", error: { code: -32600, message: "again" } });
    reply({ id: 99, result: {} });
    expect(tally.outstanding).toBe(2); // id 2 and the parse error
    reply({ id: null, error: { code: -32700, message: "parse error" } });
    expect(tally.outstanding).toBe(1);
    const found = tally.discrepancies().map((d) => `${d.what} ${d.detail}`);
    expect(found).toEqual(["missing n:2 owed 1 got 0", "duplicate s:three owed 1 got 2", "unexpected n:99 got 1"]);
  });

  test("expectations follow JSON-RPC 2.0 and each transport's framing", () => {
    expect(expectFor('{"id":7,"method":"m"}')).toEqual([{ kind: "response", key: "n:7" }]);
    expect(expectFor('{"method":"m"}')).toEqual([]);
    expect(expectFor('{"id":null,"method":"m"}')).toEqual([{ kind: "null-error", code: -32600 }]);
    expect(expectFor('{"id":1e400,"method":"m"}')).toEqual([{ kind: "null-error", code: -32600 }]);
    expect(expectFor('{"id":1,"result":1}')).toEqual([]);
    expect(expectFor("{")).toEqual([{ kind: "null-error", code: -32700 }]);
    // Batches: an entry per request inside the array reply; an empty batch owes one error.
    expect(expectFor("[]")).toEqual([{ kind: "null-error", code: -32600 }]);
    expect(expectFor('[{"id":1,"method":"m"},{"method":"n"},2]')).toEqual([
      { kind: "response", key: "n:1" },
      { kind: "null-error", code: -32600 },
    ]);
    expect(expectFor('[{"method":"n"}]')).toEqual([]);
    expect(inboundTexts(" \r", "stdio")).toEqual([]);
    expect(inboundTexts(" ", "websocket")).toEqual([" "]);
    expect(inboundTexts("a\nb\r", "stdio")).toEqual(["a", "b"]);
  });
});
