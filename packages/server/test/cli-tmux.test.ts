import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecServerClient } from "@x/exec-client";
import { DaemonProcess, SERVER_BIN, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { TmuxServer } from "./support/tmux.ts";

// `exec-server run` / `attach` in a real terminal: tmux panes running a local
// bash, in which the commands are typed as a person would.
const TOKEN = "cli-s3cret";
let home: string;
let daemon: Daemon;
let tmux: TmuxServer;
let cli: string;
const guard = new LeakGuard();

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "exec-server-cli-"));
  writeFileSync(join(home, "token"), `${TOKEN}\n`);
  daemon = await DaemonProcess.start({
    transport: "websocket",
    args: ["--token", TOKEN, "--detached-session-ttl", "60"],
    reportUnexpectedExit: true,
    env: {
      HOME: home,
      PATH: process.env.PATH,
    },
  });
  const env = { HOME: home, PATH: process.env.PATH!, TERM: "xterm-256color", LANG: "C.UTF-8" };
  tmux = new TmuxServer(env);
  cli = `bun ${SERVER_BIN}`;
  guard.trackDaemon(daemon.proc.pid);
});

afterAll(async () => {
  await tmux?.[Symbol.asyncDispose]();
  // Every remote process ended (exited, or killed with its client), the daemon's fds are back.
  await guard.assertCleanAround(() => daemon.stop());
  rmSync(home, { recursive: true, force: true });
});

const LOCAL_SHELL = "env PS1='local$ ' bash --norc --noprofile";
const REMOTE_SHELL = "env PS1='remote$ ' bash --norc --noprofile";
const lastLine = (rows: string[]) => rows.filter((row) => row !== "").at(-1) ?? "";

/**
 * A pane with a local bash at its first prompt. Keys sent the moment the prompt
 * shows can be dropped while bash's readline sets up the terminal (seen here:
 * the line echoed, then an empty command), so give it a moment.
 */
async function newShell(name: string, cols: number, rows: number): Promise<void> {
  await tmux.newSession(name, cols, rows, LOCAL_SHELL);
  await tmux.waitFor(name, (lines) => lines[0] === "local$");
  await settle();
}

/** After a prompt shows, before typing into the local bash (see newShell). */
const settle = () => Bun.sleep(300);

describe("exec-server run / attach in tmux", () => {
  test("vim opens at the pane's size and follows a pane resize", async () => {
    await newShell("vim", 100, 30);
    await tmux.typeLine("vim", `${cli} run ${daemon.url} --token ${TOKEN} -- vim -u NONE -N; echo vim-exit=$?`);
    await tmux.waitFor("vim", (rows) => rows.length === 30 && rows[1] === "~");
    await tmux.typeLine("vim", ":echo &lines . 'x' . &columns");
    await tmux.waitFor("vim", (rows) => rows[29]!.startsWith("30x100"));
    await tmux.run("resize-window", "-t", "vim", "-x", "90", "-y", "25");
    await tmux.waitFor("vim", (rows) => rows.length === 25);
    await tmux.typeLine("vim", ":echo &lines . 'x' . &columns");
    await tmux.waitFor("vim", (rows) => rows[24]!.startsWith("25x90"));
    // Detach from the full-screen program and attach again: the same screen comes back.
    await tmux.keys("vim", "i", "typed in vim", "Escape");
    const before = await tmux.waitFor("vim", (rows) => rows[0] === "typed in vim");
    await tmux.keys("vim", "C-]");
    const detached = await tmux.waitFor("vim", (rows) => rows.some((row) => row.includes("[detached")));
    expect(detached).not.toContain("typed in vim"); // back on the main screen, vim's is gone
    await settle();
    const [, session, processId] = detached.join("\n").match(/--session (\S+) --process ([^\]\s]+)/)!;
    const attach = `${cli} attach ${daemon.url} --token ${TOKEN} --session ${session} --process ${processId}`;
    await tmux.typeLine("vim", `${attach}; echo attach-exit=$?`);
    // Rows 1-24: the status line (row 25) showed the typing mode, or is empty now.
    await tmux.waitFor("vim", (rows) => JSON.stringify(rows.slice(0, 24)) === JSON.stringify(before.slice(0, 24)));
    await tmux.typeLine("vim", ":qa!");
    await tmux.waitFor("vim", (rows) => rows.includes("attach-exit=0"));
  });

  test("Ctrl-C reaches the child; the exit code comes back (token from EXEC_SERVER_TOKEN)", async () => {
    await newShell("sig", 100, 30);
    const script = `trap 'echo caught-INT; exit 5' INT; echo waiting; while :; do sleep 0.1; done`;
    await tmux.typeLine("sig", `EXEC_SERVER_TOKEN=${TOKEN} ${cli} run ${daemon.url} -- sh -c "${script}"; echo run-exit=$?`);
    await tmux.waitFor("sig", (rows) => rows.includes("waiting"));
    await tmux.keys("sig", "C-c");
    await tmux.waitFor("sig", (rows) => rows.some((row) => row.endsWith("caught-INT")));
    await tmux.waitFor("sig", (rows) => rows.includes("run-exit=5"));
    // Without a token, the server refuses and run says so.
    await newShell("anon", 100, 30);
    await tmux.typeLine("anon", `${cli} run ${daemon.url} -- true; echo no-token-exit=$?`);
    const rows = await tmux.waitFor("anon", (rows) => rows.includes("no-token-exit=1"));
    expect(rows.join("\n")).toContain("401");
  });

  test("detach (Ctrl-]) leaves the shell running; attach shows the same screen and takes it back", async () => {
    await newShell("det", 100, 30);
    await tmux.typeLine("det", `clear; ${cli} run ${daemon.url} --token-file ${join(home, "token")} -- ${REMOTE_SHELL}`);
    await tmux.waitFor("det", (rows) => lastLine(rows) === "remote$");
    await tmux.typeLine("det", "x=kept-$((40+2)); echo before-$x; printf '\\033[1;31mred\\033[0m\\n'");
    const before = await tmux.waitFor("det", (rows) => lastLine(rows) === "remote$" && rows.includes("red"));
    await tmux.keys("det", "C-]");
    const detached = await tmux.waitFor("det", (rows) => lastLine(rows) === "local$");
    await settle();
    const hint = detached.join("\n").match(/exec-server attach (\S+) --session (\S+) --process ([^\]\s]+)/);
    expect(hint).not.toBeNull();
    const [, url, session, processId] = hint!;
    expect(url).toBe(daemon.url!);
    await tmux.typeLine("det", `${cli} attach ${url} --token ${TOKEN} --session ${session} --process ${processId}; echo attach-exit=$?`);
    const after = await tmux.waitFor("det", (rows) => rows.includes("before-kept-42") && !rows.some((row) => row.includes("[detached")));
    expect(after.filter((row) => row !== "")).toEqual(before.filter((row) => row !== ""));
    // The same shell: its variable is still set.
    await tmux.typeLine("det", "echo still-$x");
    await tmux.waitFor("det", (rows) => rows.includes("still-kept-42"));
    await tmux.typeLine("det", "exit 3");
    await tmux.waitFor("det", (rows) => rows.includes("attach-exit=3"));
  });

  test("attach --read-only watches an SDK client's shell and cannot type into it", async () => {
    await using client = await ExecServerClient.connectWebSocket({ url: daemon.url!, token: TOKEN, resume: true });
    const shell = await client.start({
      argv: ["bash", "--norc", "--noprofile"],
      env: { HOME: home, PATH: process.env.PATH!, PS1: "agent$ ", TERM: "xterm-256color" },
      cwd: home,
      tty: true,
    });
    await shell.write("echo first-$((1+1))\n");
    await shell.wait({ timeoutMs: 5000, afterSeq: 0, until: { pattern: "^first-2" } });
    await newShell("ro", 100, 30);
    await tmux.typeLine(
      "ro",
      `${cli} attach ${daemon.url} --token ${TOKEN} --session ${client.sessionId} --process ${shell.id} --read-only; echo ro-exit=$?`,
    );
    await tmux.waitFor("ro", (rows) => rows.includes("first-2") && !rows.some((row) => row.startsWith("local$")));
    await shell.write("echo from-$((6*7))\n");
    await tmux.waitFor("ro", (rows) => rows.includes("from-42"));
    await tmux.typeLine("ro", "echo typed-in-viewer");
    await shell.write("echo marker\n");
    await tmux.waitFor("ro", (rows) => rows.includes("marker"));
    expect(await shell.text()).not.toContain("typed-in-viewer");
    await tmux.keys("ro", "C-c"); // watching only: Ctrl-C leaves
    await tmux.waitFor("ro", (rows) => rows.includes("ro-exit=0"));
    expect(shell.exitStatus).toBeUndefined(); // still running
  });
});

describe("exec-server run without a terminal", () => {
  async function run(args: string[], stdin: string) {
    const proc = Bun.spawn(["bun", SERVER_BIN, "run", daemon.url!, ...args], {
      stdin: new TextEncoder().encode(stdin),
      stdout: "pipe",
      stderr: "pipe",
      env: { HOME: home, PATH: process.env.PATH, EXEC_SERVER_TOKEN: TOKEN },
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { stdout, stderr, code };
  }

  test("pipes: stdin with its EOF in, stdout and stderr apart, the exit code out", async () => {
    const result = await run(["--", "sh", "-c", "tr a-z A-Z; echo to-stderr >&2; exit 4"], "piped input\n");
    expect(result).toEqual({ stdout: "PIPED INPUT\n", stderr: "to-stderr\n", code: 4 });
  });

  test("-t with stdin not a terminal: a PTY, and stdin's EOF reaches it as Ctrl-D", async () => {
    const result = await run(["-t", "--", "sh", "-c", "stty -echo; cat; echo eof-seen"], "abc\n");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("abc\r\neof-seen\r\n");
  });

  test("usage errors exit 2 with the usage", async () => {
    const result = await run(["sh"], "");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("put the command after --");
  });
});
