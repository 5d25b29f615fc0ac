// Compile-time checks, run by `bunx tsc --noEmit -p .` at the repository root: every
// `@ts-expect-error` line must be a type error, or the compiler reports the directive as unused.
import { expect, test } from "bun:test";
import type { ParamsOf, ResultOf } from "@x/exec-protocol";
import type {
  AttachedProcessHandle,
  ClientEvents,
  ExecServerClient,
  ExecWindow,
  ProcessHandle,
  RunResult,
} from "../src/index.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T) => {};

// Never called: only type-checked.
export async function typeChecks(
  client: ExecServerClient,
  process: ProcessHandle,
  connectWebSocket: typeof ExecServerClient.connectWebSocket,
): Promise<void> {
  // Results are the protocol's own types.
  assertType<Equal<Awaited<ReturnType<typeof process.read>>, ResultOf<"process/read">>>();
  assertType<Equal<Awaited<ReturnType<typeof process.wait>>, ResultOf<"process/wait">>>();
  assertType<Equal<Awaited<ReturnType<typeof process.snapshot>>, ResultOf<"process/snapshot">>>();
  assertType<Equal<Parameters<typeof process.signal>[0], ParamsOf<"process/signal">["signal"]>>();
  const started: ResultOf<"process/start"> = await client.request("process/start", {
    processId: "a",
    argv: ["true"],
    cwd: "/",
    env: {},
    tty: false,
  } satisfies ParamsOf<"process/start">);
  void started;

  // @ts-expect-error argv is a string array
  await client.start({ argv: "ls -l" });
  // @ts-expect-error argv is required
  await client.start({ tty: true });
  // @ts-expect-error unknown start option
  await client.start({ argv: ["ls"], shell: true });
  // @ts-expect-error cols is a number
  await client.start({ argv: ["ls"], cols: "80" });
  // @ts-expect-error not a method of the protocol
  await client.request("process/launch", {});
  // @ts-expect-error processId is a string
  await client.request("process/read", { processId: 1 });
  // @ts-expect-error process/terminate needs a processId
  await client.request("process/terminate", {});
  // @ts-expect-error not a signal name the protocol allows
  await process.signal("SIGFOO");
  // @ts-expect-error resize takes cols and rows
  await process.resize(80);
  // @ts-expect-error wait needs timeoutMs
  await process.wait({ until: { exit: true } });
  // @ts-expect-error idleMs is a number
  await process.wait({ timeoutMs: 10, until: { idleMs: "5" } });
  // @ts-expect-error exec needs yieldTimeMs
  await client.exec({ argv: ["bash"] });
  // @ts-expect-error run takes argv as an array
  await client.run("echo hi");
  // @ts-expect-error stdin is text or bytes
  await client.run(["cat"], { stdin: 42 });
  // @ts-expect-error no such event
  client.on("exit", () => {});
  // @ts-expect-error an output event has no exitCode
  client.on("output", (event) => event.exitCode);

  // @ts-expect-error resume is a boolean or { maxAttempts?, backoffMs? }
  await connectWebSocket({ url: "ws://127.0.0.1:1", resume: "yes" });
  // @ts-expect-error maxAttempts is a number
  await connectWebSocket({ url: "ws://127.0.0.1:1", resume: { maxAttempts: "3" } });
  await connectWebSocket({ url: "ws://127.0.0.1:1", resume: { maxAttempts: 3, backoffMs: 100 } });
  // @ts-expect-error attach mode is "read" or "write"
  await client.attach({ sessionId: "s", processId: "p", mode: "owner" });
  // @ts-expect-error attach needs the owning sessionId
  await client.attach({ processId: "p", mode: "read" });
  const attached: AttachedProcessHandle = await client.attach({ sessionId: "s", processId: "p", mode: "read", afterSeq: 3 });
  assertType<Equal<typeof attached.mode, "read" | "write">>();
  assertType<Equal<typeof attached.sessionId, string>>();
  assertType<Equal<typeof client.state, "connecting" | "open" | "reconnecting" | "closed">>();
  assertType<Equal<ClientEvents["reconnect"]["attempts"], number>>();
  assertType<Equal<ClientEvents["output"]["sessionId"], string | undefined>>();
  // @ts-expect-error sessionId is sent by the handle, not passed
  await attached.read({ sessionId: "s" });

  const window: ExecWindow = await client.exec({ argv: ["bash"], yieldTimeMs: 10 });
  assertType<Equal<typeof window.exitCode, number | undefined>>();
  const result: RunResult = await client.run(["true"]);
  assertType<Equal<typeof result.stdout, string>>();
  assertType<Equal<typeof result.stdoutBytes, Uint8Array>>();
  assertType<Equal<ClientEvents["exited"]["signal"], string | null>>();
  for await (const chunk of process.output()) assertType<Equal<typeof chunk.data, Uint8Array>>();
}

test("type checks live in typeChecks (compiled by tsc, never run)", () => {
  expect(typeof typeChecks).toBe("function");
});
