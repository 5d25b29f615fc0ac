import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG, PTY_BACKENDS, type PtyBackendName, type ServerConfig } from "../config.ts";
import { LOG_LEVELS, type LogLevel } from "../log.ts";
import { DEFAULT_LISTEN_URL, isLoopback, parseListenUrl, type ListenTarget } from "./listen-url.ts";

export interface CliOptions {
  readonly help: boolean;
  readonly version: boolean;
  readonly listen: ListenTarget;
  readonly token?: string;
  /**
   * A TCP listener given no token (and no --no-auth) makes one up at start-up,
   * prints it once on stderr and writes it to a 0600 file (see token-file.ts).
   */
  readonly generateToken: boolean;
  readonly allowedOrigins: string[];
  /** `--web`: serve the terminal page; `webCommand` is what it starts (undefined: login shell). */
  readonly web: boolean;
  readonly webCommand?: string;
  readonly logLevel: LogLevel;
  readonly config: ServerConfig;
}

export const USAGE = `Usage: exec-server [options]
       exec-server run URL [-t] -- CMD [ARGS...]          (see exec-server run --help)
       exec-server attach URL --session S --process P     (see exec-server attach --help)
       exec-server mcp [--connect ws://IP:PORT] [--token …]  (an MCP server over stdio; mcp --help)

Runs processes for remote clients over JSON-RPC (protocol exec-server.v0).

Options:
  --listen URL                  stdio:// (default), ws://IP:PORT (port 0 picks a free port), or
                                unix:///path.sock (websocket on a unix socket, mode 0600)
  --token TOKEN                 require "Authorization: Bearer TOKEN" on websocket upgrades
                                (also EXEC_SERVER_TOKEN); without one a ws:// listener
                                generates a token, prints it once on stderr and writes it to
                                $XDG_RUNTIME_DIR/exec-server/ws-PORT.token (else
                                ~/.exec-server/ws-PORT.token), mode 0600
  --token-file PATH             read the token from a file
  --no-auth                     no token on a loopback ws:// listener (anyone on this host
                                can run commands); refused on other addresses
  --allow-origin ORIGIN         accept websocket upgrades carrying this Origin (repeatable);
                                requests with any other Origin get 403
  --web                         serve a terminal page at http://IP:PORT/ (with --listen ws://...);
                                its own origin may connect, browsers authenticate with a
                                one-time ticket from POST /ticket (see README)
  --web-command CMD             what the page runs, through /bin/sh -c (default: your login shell)
  --max-message-bytes N         largest inbound message; larger closes the connection
                                (default ${DEFAULT_CONFIG.maxMessageBytes})
  --retained-output-bytes N     output retained per process for process/read
                                (default ${DEFAULT_CONFIG.retainedOutputBytes})
  --exit-drain-grace-ms N       how long exit waits for output held open by a descendant
                                (default ${DEFAULT_CONFIG.exitDrainGraceMs})
  --exited-retention-ms N       how long an exited process stays readable
                                (default ${DEFAULT_CONFIG.exitedRetentionMs})
  --max-processes N             running processes per connection (default ${DEFAULT_CONFIG.maxProcesses})
  --max-exited-processes N      exited processes a connection keeps readable; past it the
                                oldest are forgotten (default ${DEFAULT_CONFIG.maxExitedProcesses})
  --max-exited-bytes N          retained output of those, all together; past it the oldest
                                are forgotten (default ${DEFAULT_CONFIG.maxExitedBytes})
  --scrollback-lines N          lines kept above each PTY's rendered screen
                                (default ${DEFAULT_CONFIG.scrollbackLines})
  --no-terminal-replies         do not answer terminal queries (DA, CPR) on the PTY
  --detached-session-ttl SECONDS
                                how long a dropped resumable websocket session keeps its
                                processes (default ${DEFAULT_CONFIG.detachedSessionTtlMs / 1000})
  --ping-interval SECONDS       websocket keepalive pings; 0 turns them off
                                (default ${DEFAULT_CONFIG.pingIntervalMs / 1000})
  --fs-root DIR                 confine fs/* methods, process cwd and fs/watch to this tree
                                (repeatable); \`..\` and symlinks leading out are refused
  --pty-backend native|ffi      PTY implementation (default ${DEFAULT_CONFIG.ptyBackend}; see README)
  --log-level LEVEL             ${LOG_LEVELS.join(" | ")} (default warn); logs go to stderr
  --help                        show this help
  --version                     print the version
`;

/** Parses argv (without `bun` and the script). Throws an Error with a user-facing message. */
export function parseCliOptions(argv: string[], env: Record<string, string | undefined> = process.env): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", short: "V", default: false },
      listen: { type: "string", default: DEFAULT_LISTEN_URL },
      token: { type: "string" },
      "token-file": { type: "string" },
      "no-auth": { type: "boolean", default: false },
      "allow-origin": { type: "string", multiple: true, default: [] },
      web: { type: "boolean", default: false },
      "web-command": { type: "string" },
      "max-message-bytes": { type: "string" },
      "retained-output-bytes": { type: "string" },
      "exit-drain-grace-ms": { type: "string" },
      "exited-retention-ms": { type: "string" },
      "max-processes": { type: "string" },
      "max-exited-processes": { type: "string" },
      "max-exited-bytes": { type: "string" },
      "scrollback-lines": { type: "string" },
      "no-terminal-replies": { type: "boolean", default: false },
      "detached-session-ttl": { type: "string" },
      "ping-interval": { type: "string" },
      "pty-backend": { type: "string" },
      "fs-root": { type: "string", multiple: true, default: [] },
      "log-level": { type: "string", default: "warn" },
    },
  });
  const listen = parseListenUrl(values.listen);
  const logLevel = values["log-level"] as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}; got ${JSON.stringify(values["log-level"])}`);
  }
  const ptyBackend = (values["pty-backend"] ?? DEFAULT_CONFIG.ptyBackend) as PtyBackendName;
  if (!PTY_BACKENDS.includes(ptyBackend)) {
    throw new Error(`--pty-backend must be one of ${PTY_BACKENDS.join(", ")}; got ${JSON.stringify(values["pty-backend"])}`);
  }
  const token = readToken(values.token, values["token-file"], env.EXEC_SERVER_TOKEN);
  const noAuth = values["no-auth"];
  if (listen.kind === "websocket" && !isLoopback(listen.hostname) && token === undefined) {
    throw new Error(
      `refusing to listen on ${listen.hostname} without a token: anyone who can reach it could run commands. ` +
        "Pass --token, --token-file or EXEC_SERVER_TOKEN, or listen on 127.0.0.1." +
        (noAuth ? " --no-auth is only allowed on loopback addresses." : ""),
    );
  }
  if (noAuth && token !== undefined) throw new Error("--no-auth and a token (--token, --token-file, EXEC_SERVER_TOKEN) contradict each other");
  if (noAuth && listen.kind !== "websocket") throw new Error("--no-auth only applies to a ws:// listener");
  if (values["web-command"] !== undefined && !values.web) throw new Error("--web-command needs --web");
  if (values.web && listen.kind !== "websocket") throw new Error("--web needs --listen ws://IP:PORT");
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    maxMessageBytes: positiveInt(values, "max-message-bytes", DEFAULT_CONFIG.maxMessageBytes),
    retainedOutputBytes: positiveInt(values, "retained-output-bytes", DEFAULT_CONFIG.retainedOutputBytes),
    exitDrainGraceMs: positiveInt(values, "exit-drain-grace-ms", DEFAULT_CONFIG.exitDrainGraceMs),
    exitedRetentionMs: positiveInt(values, "exited-retention-ms", DEFAULT_CONFIG.exitedRetentionMs),
    maxProcesses: positiveInt(values, "max-processes", DEFAULT_CONFIG.maxProcesses),
    maxExitedProcesses: positiveInt(values, "max-exited-processes", DEFAULT_CONFIG.maxExitedProcesses),
    maxExitedBytes: positiveInt(values, "max-exited-bytes", DEFAULT_CONFIG.maxExitedBytes),
    scrollbackLines: nonNegativeInt(values, "scrollback-lines", DEFAULT_CONFIG.scrollbackLines),
    answerTerminalQueries: !values["no-terminal-replies"],
    detachedSessionTtlMs: seconds(values, "detached-session-ttl") ?? DEFAULT_CONFIG.detachedSessionTtlMs,
    pingIntervalMs: seconds(values, "ping-interval") ?? DEFAULT_CONFIG.pingIntervalMs,
    ptyBackend,
    fsRoots: values["fs-root"].map(fsRoot),
    // The daemon's children all come from its process manager.
    subreaper: true,
  };
  return {
    help: values.help,
    version: values.version,
    listen,
    token,
    generateToken: listen.kind === "websocket" && token === undefined && !noAuth,
    allowedOrigins: values["allow-origin"],
    web: values.web,
    webCommand: values["web-command"],
    logLevel,
    config,
  };
}

/** An existing directory, by its real path (the confinement compares real paths). */
function fsRoot(raw: string): string {
  const path = isAbsolute(raw) ? raw : resolve(raw);
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    throw new Error(`--fs-root ${raw}: ${(error as Error).message}`);
  }
  if (!statSync(real).isDirectory()) throw new Error(`--fs-root ${raw} is not a directory`);
  return real;
}

/** The parsed flags, as far as a reader of the string-valued flag `F` needs them. */
type FlagValues<F extends string> = { readonly [K in F]?: string | undefined };

function positiveInt<F extends string>(values: FlagValues<F>, flag: F, fallback: number): number {
  return nonNegativeInt(values, flag, fallback, 1);
}

function nonNegativeInt<F extends string>(values: FlagValues<F>, flag: F, fallback: number, min = 0): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    const what = min === 1 ? "a positive integer" : "a non-negative integer";
    throw new Error(`--${flag} must be ${what}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A duration in (possibly fractional) seconds, as milliseconds. */
function seconds<F extends string>(values: FlagValues<F>, flag: F): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) {
    throw new Error(`--${flag} must be a number of seconds; got ${JSON.stringify(raw)}`);
  }
  return Math.round(value * 1000);
}

export function readToken(flag?: string, file?: string, fromEnv?: string): string | undefined {
  const token = flag ?? (file !== undefined ? readFileSync(file, "utf8").trim() : undefined) ?? fromEnv;
  if (token === "") throw new Error("the token must not be empty");
  return token;
}
