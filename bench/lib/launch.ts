import type { Subprocess } from "bun";

/** A server process the benchmark started and must stop. */
export interface RunningServer {
  readonly name: string;
  /** Base websocket URL, e.g. ws://127.0.0.1:PORT. */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  readonly name: string;
  readonly argv: string[];
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** Matched against each line of stdout and stderr; the first group makes the URL. */
  readonly ready: RegExp;
  readonly toUrl: (match: RegExpMatchArray) => string;
  readonly timeoutMs?: number;
}

const live = new Set<Subprocess>();

/** Remembers a server process so that `stopAll` can end it if the measurement is cut short. */
export function track(proc: Subprocess): void {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
}

/** Stops every server still running: for a measurement that is being abandoned. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((proc) => stopProcess(proc, 1_000)));
}

/** Starts a server and resolves once it prints the line that says where it listens. */
export async function launchServer(options: LaunchOptions): Promise<RunningServer> {
  const proc = Bun.spawn(options.argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  track(proc);
  const tail: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start: ${tail.join(" | ")}`)), options.timeoutMs ?? 15_000);
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      const match = line.match(options.ready);
      if (match) {
        clearTimeout(timer);
        resolve(options.toUrl(match));
      }
    };
    void pumpLines(proc.stdout, onLine);
    void pumpLines(proc.stderr, onLine);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before listening: ${tail.join(" | ")}`));
    });
  }).catch(async (error: unknown) => {
    await stopProcess(proc);
    throw error;
  });
  return { name: options.name, url, pid: proc.pid, stop: () => stopProcess(proc) };
}

/** SIGTERM, then SIGKILL if it is still there after a grace period. */
export async function stopProcess(proc: Subprocess, graceMs = 3_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  }
  if (partial) onLine(partial);
}

/** A port that was free a moment ago, for servers that cannot bind port 0 themselves. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
