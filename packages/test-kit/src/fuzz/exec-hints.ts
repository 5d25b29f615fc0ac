import type { Prng } from "../prng.ts";
import { OMIT, type JsonSchemaNode } from "./schema-sample.ts";

export interface ExecHintOptions {
  readonly markerName: string;
  readonly markerValue: string;
  readonly cwd: string;
  readonly fsRoot?: string;
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

// Pools for the machine methods, so opens, reads, watches and unwatches meet each other.
const HANDLE_IDS = ["h0", "h1", "h2", "h3"];
const WATCH_IDS = ["w0", "w1", "w2"];
const REQUEST_IDS = ["r0", "r1"];
const FS_NAMES = ["", "f0", "f1", "d0", "d0/f2", "d0/d1", "d0/../f0"];

/** A path inside the fuzz daemon's --fs-root, as a plain path or a file: URI. */
function fsPath(root: string, rng: Prng): string {
  const name = rng.pick(FS_NAMES);
  const path = name === "" ? root : `${root}/${name}`;
  return rng.chance(0.3) ? `file://${path}` : path;
}

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
    case "path":
    case "sourcePath":
    case "destinationPath":
      return options.fsRoot === undefined ? undefined : fsPath(options.fsRoot, rng);
    case "handleId":
      return rng.pick(HANDLE_IDS);
    case "watchId":
      return rng.pick(WATCH_IDS);
    case "requestId":
      return rng.pick(REQUEST_IDS);
    case "method":
      return rng.pick(["GET", "POST", "HEAD", "DELETE"]);
    case "url":
      // Loopback, a port nothing listens on: refused at once, never the internet.
      return "http://127.0.0.1:9/fuzz";
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
