// Compile-time checks for client.fs / environment / fetch, run by `bun run typecheck`:
// every `@ts-expect-error` line must be a type error.
import { expect, test } from "bun:test";
import type { FsChange, ParamsOf, ResultOf } from "@x/exec-protocol";
import type { ExecServerClient, FsWatch } from "../src/index.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T) => {};

// Never called: only type-checked.
export async function machineTypeChecks(client: ExecServerClient, watch: FsWatch): Promise<void> {
  // Results are the protocol's own types.
  assertType<Equal<Awaited<ReturnType<typeof client.fs.stat>>, ResultOf<"fs/getMetadata">>>();
  assertType<Equal<Awaited<ReturnType<typeof client.fs.walk>>, ResultOf<"fs/walk">>>();
  assertType<Equal<Awaited<ReturnType<typeof client.fs.readDir>>, ResultOf<"fs/readDirectory">["entries"]>>();
  assertType<Equal<Awaited<ReturnType<typeof client.environment>>, ResultOf<"environment/info">>>();
  assertType<Equal<Parameters<typeof client.fs.writeFile>[2], Pick<ParamsOf<"fs/writeFile">, "mode" | "atomic" | "createOnly"> | undefined>>();
  for await (const change of watch) assertType<Equal<typeof change, FsChange>>();
  const response: Response = await client.fetch("http://127.0.0.1:1/", { method: "POST", body: "x", timeoutMs: 10 });
  void response;

  // @ts-expect-error data is bytes or a string
  await client.fs.writeFile("/x", 42);
  // @ts-expect-error unknown write option
  await client.fs.writeFile("/x", "y", { append: true });
  // @ts-expect-error fs/open mode is read or replace
  await client.request("fs/open", { handleId: "h", path: "/x", mode: "append" });
  // @ts-expect-error readBlock needs len
  await client.request("fs/readBlock", { handleId: "h", offset: 0 });
  // @ts-expect-error redirectPolicy is follow or stop
  await client.request("http/request", { method: "GET", url: "http://x/", redirectPolicy: "error" });
}

test("machine type checks compile (see bun run typecheck)", () => {
  expect(typeof machineTypeChecks).toBe("function");
});
