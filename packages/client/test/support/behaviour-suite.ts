import { afterAll, beforeAll, describe } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecServerClient } from "../../src/index.ts";
import type { Connected, Harness } from "./harness.ts";
import { connectionLossTests } from "./suite-connection-loss.ts";
import { controlTests } from "./suite-control.ts";
import { outputTests } from "./suite-output.ts";
import type { SuiteContext } from "./suite-context.ts";

/** The behaviour every kind of connection must show, run through `harness`. */
export function behaviourSuite(harness: Harness): void {
  describe(`${harness.name} connection`, () => {
    let connected: Connected | undefined;
    const home = mkdtempSync(join(tmpdir(), "exec-client-home-"));
    const ctx: SuiteContext = {
      harness,
      home,
      get client(): ExecServerClient {
        if (!connected) throw new Error("the suite's client exists only while its tests run");
        return connected.client;
      },
    };
    beforeAll(async () => {
      connected = await harness.connect();
    });
    afterAll(async () => {
      await connected?.close();
      rmSync(home, { recursive: true, force: true });
    });

    outputTests(ctx);
    controlTests(ctx);
    connectionLossTests(ctx);
  });
}
