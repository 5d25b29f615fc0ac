import type { Prng } from "../prng.ts";
import { OMIT, type JsonSchemaNode } from "./schema-sample.ts";

export interface ExecHintOptions {
  readonly markerName: string;
  readonly markerValue: string;
  readonly cwd: string;
}

// Commands the fuzz may start: quick to exit, or `cat`, which lives until its
// connection closes and gives writes something to hit. Mutations never reach
// the command name with anything but garbage.
const SAFE_ARGVS: ReadonlyArray<readonly string[]> = [
  ["true"],
  ["sh", "-c", "echo out; echo err >&2; exit 3"],
  ["cat"],
  ["printf", "%s", "x"],
  ["/nonexistent/fuzz-binary"],
];

// A small pool, so starts, writes, reads and kills keep meeting the same processes.
const PROCESS_IDS = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"];

/**
 * Domain values for exec-server params by property name, so valid samples reach
 * real processes; `undefined` leaves the property to the schema sampler.
 */
export function execValue(name: string, schema: JsonSchemaNode, rng: Prng, options: ExecHintOptions): unknown {
  switch (name) {
    case "processId":
      return rng.chance(0.95) ? rng.pick(PROCESS_IDS) : undefined;
    case "argv":
      return [...rng.pick(SAFE_ARGVS)];
    case "cwd":
      return options.cwd;
    case "env":
      return { PATH: "/usr/bin:/bin", [options.markerName]: options.markerValue };
    case "tty":
      return rng.chance(0.2);
    case "arg0":
      return null;
    case "sessionId":
      // Mostly this connection's own processes; sometimes another session's.
      return rng.chance(0.8) ? OMIT : undefined;
  }
  // Durations stay short: a valid wait must end well within a round.
  if (/Ms$/.test(name)) {
    const integer = schema.type === "integer" ? schema : schema.anyOf?.find((branch) => branch.type === "integer");
    if (integer) {
      const low = integer.minimum ?? 0;
      return rng.range(low, Math.max(low, Math.min(integer.maximum ?? 200, 200)));
    }
  }
  return undefined;
}
