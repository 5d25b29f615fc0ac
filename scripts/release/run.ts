export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** Reject unless the exit code is this. Default 0; `null` accepts any. */
  readonly expectExit?: number | null;
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; the error of a failure carries its output. */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const proc = spawnWith(argv, options, "pipe");
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const expected = options.expectExit === undefined ? 0 : options.expectExit;
  if (expected !== null && exitCode !== expected) {
    throw new Error(`\`${argv.join(" ")}\` exited with ${exitCode} (expected ${expected})${options.cwd ? ` in ${options.cwd}` : ""}\n--- stdout\n${stdout}--- stderr\n${stderr}`);
  }
  return { exitCode, stdout, stderr };
}

/** Spawns `argv` as `options` say: no stdin, stderr piped, killed with SIGKILL past the timeout. */
export function spawnWith<Out extends "pipe" | "ignore">(argv: string[], options: RunOptions, stdout: Out) {
  return Bun.spawn(argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdin: "ignore",
    stdout,
    stderr: "pipe",
    timeout: options.timeoutMs ?? 120_000,
    killSignal: "SIGKILL",
  });
}
