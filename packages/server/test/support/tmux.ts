/**
 * One tmux server on its own socket (`tmux -L`), so tests never touch the
 * user's tmux. Panes run a plain bash with a temporary HOME.
 */
export class TmuxServer implements AsyncDisposable {
  readonly socket = `exec-server-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly env: Record<string, string>) {}

  async run(...args: string[]): Promise<string> {
    const proc = Bun.spawn(["tmux", "-L", this.socket, ...args], { stdout: "pipe", stderr: "pipe", env: this.env });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`tmux ${args.join(" ")} failed (${code}): ${err}`);
    return out;
  }

  /** A detached session of `cols`×`rows` running `command`. */
  async newSession(name: string, cols: number, rows: number, command: string): Promise<void> {
    await this.run("new-session", "-d", "-s", name, "-x", String(cols), "-y", String(rows), command);
  }

  /** Types `text` literally, then Enter. */
  async typeLine(target: string, text: string): Promise<void> {
    await this.run("send-keys", "-t", target, "-l", text);
    await this.run("send-keys", "-t", target, "Enter");
  }

  /** Key names as tmux knows them (C-c, C-], Escape, ...). */
  async keys(target: string, ...keys: string[]): Promise<void> {
    await this.run("send-keys", "-t", target, ...keys);
  }

  /** The visible pane, one string per row, wrapped lines joined (-J). */
  async capture(target: string): Promise<string[]> {
    return (await this.run("capture-pane", "-p", "-J", "-t", target))
      .replace(/\n$/, "")
      .split("\n")
      .map((row) => row.trimEnd());
  }

  /** Polls the pane until `predicate` holds. */
  async waitFor(target: string, predicate: (rows: string[]) => boolean, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = await this.capture(target);
      if (predicate(rows)) return rows;
      await Bun.sleep(50);
    }
    throw new Error(`pane ${target} did not match within ${timeoutMs} ms:\n${rows.join("\n")}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.run("kill-server").catch(() => {});
  }
}
