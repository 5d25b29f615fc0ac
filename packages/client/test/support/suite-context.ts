import type { ExecServerClient } from "../../src/index.ts";
import type { Harness } from "./harness.ts";

/** The shared client of a suite, valid inside tests. */
export interface SuiteContext {
  readonly harness: Harness;
  readonly client: ExecServerClient;
  /** A temporary directory, used as HOME for shells. */
  readonly home: string;
}
