import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { readToken } from "../src/cli/options.ts";

/** What `run` and `attach` share: the server URL and its token, as the server takes it. */
export interface ConnectArgs {
  readonly url: string;
  readonly token?: string;
}

export const TOKEN_OPTIONS = {
  token: { type: "string" },
  "token-file": { type: "string" },
} as const;

export const CONNECT_USAGE = `  --token TOKEN        the server's token (also EXEC_SERVER_TOKEN)
  --token-file PATH    read the token from a file`;

/** A daemon's websocket listener: TCP, or a unix socket (`--listen unix:///path.sock`). */
export const SERVER_URL = /^(wss?:\/\/.|unix:\/\/\/.)/;

export function connectArgs(
  values: { token?: string; "token-file"?: string },
  url: string | undefined,
  env: Record<string, string | undefined> = process.env,
): ConnectArgs {
  if (url === undefined || !SERVER_URL.test(url)) {
    throw new Error(`expected the server's ws://IP:PORT or unix:///PATH URL; got ${url === undefined ? "nothing" : JSON.stringify(url)}`);
  }
  return { url, token: readToken(values.token, values["token-file"], env.EXEC_SERVER_TOKEN) };
}

const HELP_OPTION = { help: { type: "boolean", short: "h", default: false } } as const;

type CommandConfig<O extends ParseArgsOptionsConfig> = {
  args: string[];
  allowPositionals: true;
  strict: true;
  options: O & typeof TOKEN_OPTIONS & typeof HELP_OPTION;
};
export type ParsedCommand<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<CommandConfig<O>>>;

/**
 * Parses a client command's arguments: its own `options`, the token's and -h/--help, with the
 * server URL as the one positional; `check` throws whatever else is wrong, or returns what it
 * made sure of. Returns the parse, `check`'s answer and the target, or the exit code: 0 after printing the usage for --help, 2 after printing a
 * usage error and the usage.
 */
export function parseCommand<O extends ParseArgsOptionsConfig, R>(
  command: string,
  usage: string,
  args: string[],
  options: O,
  check: (parsed: ParsedCommand<O>) => R,
): { readonly parsed: ParsedCommand<O>; readonly checked: R; readonly target: ConnectArgs } | number {
  const usageError = (error: unknown): number => {
    process.stderr.write(`exec-server ${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  };
  let parsed: ParsedCommand<O>;
  try {
    const config: CommandConfig<O> = { args, allowPositionals: true, strict: true, options: { ...TOKEN_OPTIONS, ...options, ...HELP_OPTION } };
    parsed = parseArgs(config);
  } catch (error) {
    return usageError(error);
  }
  const values = parsed.values as { help: boolean; token?: string; "token-file"?: string };
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    const checked = check(parsed);
    return { parsed, checked, target: connectArgs(values, parsed.positionals[0]) };
  } catch (error) {
    return usageError(error);
  }
}
