import { expect, test } from "bun:test";
import { ClientErrorCode, ConnectionClosedError } from "../../src/index.ts";
import { isAlive, killGroupQuietly, waitFor } from "./processes.ts";
import type { SuiteContext } from "./suite-context.ts";

/** the end of a connection, from either side. */
export function connectionLossTests(ctx: SuiteContext): void {
  test("closing the client rejects pending calls and terminates every process", async () => {
    const own = await ctx.harness.connect();
    const pipe = await own.client.start({ argv: ["sleep", "30"] });
    const pty = await own.client.start({ argv: ["sleep", "30"], tty: true });
    const pending = Promise.allSettled([
      pipe.read({ waitMs: 20_000 }),
      (async () => {
        for await (const _ of pty.output());
      })(),
      pipe.exited,
    ]);
    let disconnected: ConnectionClosedError | undefined;
    own.client.on("disconnect", (error) => (disconnected = error));
    await own.client.close();
    expect(own.client.state).toBe("closed");
    expect(disconnected).toBeInstanceOf(ConnectionClosedError);
    for (const result of await pending) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionClosedError);
    }
    if (ctx.harness.name === "in-process") {
      // In-process, close() returns only once the processes have exited.
      expect([isAlive(pipe.pid!), isAlive(pty.pid!)]).toEqual([false, false]);
    }
    await waitFor("the processes to be killed", () => !isAlive(pipe.pid!) && !isAlive(pty.pid!));
    await expect(own.client.start({ argv: ["true"] })).rejects.toBeInstanceOf(ConnectionClosedError);
    await own.close();
  });

  test.skipIf(ctx.harness.connectKillable === undefined)(
    "a server killed mid-call rejects pending calls and iterators at once",
    async () => {
      const killable = await ctx.harness.connectKillable!();
      const process = await killable.client.start({ argv: ["sleep", "30"] });
      try {
        const pendingRead = process.read({ waitMs: 20_000 });
        const pendingWait = process.wait({ timeoutMs: 20_000 });
        const iterating = (async () => {
          for await (const _ of process.output());
        })();
        const disconnected = new Promise<ConnectionClosedError>((resolve) => killable.client.on("disconnect", resolve));
        const settled = Promise.allSettled([pendingRead, pendingWait, iterating, process.exited, disconnected]);
        await Bun.sleep(100);
        const killedAt = Date.now();
        await killable.kill();
        const results = await settled;
        expect(Date.now() - killedAt).toBeLessThan(2000);
        for (const result of results.slice(0, 4)) {
          expect(result.status).toBe("rejected");
          expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionClosedError);
        }
        expect((results[4] as PromiseFulfilledResult<ConnectionClosedError>).value.code).toBe(ClientErrorCode.ConnectionClosed);
        expect(killable.client.state).toBe("closed");
        await expect(process.terminate()).rejects.toBeInstanceOf(ConnectionClosedError);
      } finally {
        killGroupQuietly(process.pid);
        await killable.close();
      }
    },
  );
}
