import { afterAll, describe, expect, test } from "bun:test";
import { ExecServerClient } from "@x/exec-client";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { daemonCommand } from "@x/exec-test-kit/daemon.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// Loopback is no trust boundary on a shared host: a unix socket only its owner can open,
// and a TCP listener that makes up a token when it was given none.
const guard = new LeakGuard();
const dir = mkdtempSync(join(tmpdir(), "exec-multi-user-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  guard.assertClean();
});
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, XDG_RUNTIME_DIR: join(dir, "run") };

/** Starts the daemon; resolves once it printed `listening on`, with everything printed so far. */
async function start(args: string[]) {
  const proc = Bun.spawn([...daemonCommand(), "--log-level", "error", ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env });
  const reader = proc.stderr.getReader();
  let stderr = "";
  while (!/listening on (\S+)/.test(stderr)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`daemon did not start: ${stderr}`);
    stderr += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return {
    proc,
    stderr,
    url: /listening on (\S+)/.exec(stderr)![1]!,
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}

async function run(args: string[]) {
  const proc = Bun.spawn([...daemonCommand(), ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { stderr, code };
}

describe("--listen unix://", () => {
  test("the socket is mode 0600; the SDK connects over it; stopping removes it", async () => {
    const path = join(dir, "exec.sock");
    const daemon = await start(["--listen", `unix://${path}`]);
    try {
      expect(daemon.url).toBe(`unix://${path}`);
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(daemon.stderr).not.toContain("token");
      expect(await (await fetch("http://localhost/readyz", { unix: path })).text()).toBe("ok\n");
      const client = await ExecServerClient.connectWebSocket({ url: `unix://${path}` });
      const { stdout, exitCode } = await client.run(["sh", "-c", "echo over-unix; exit 4"], { env });
      expect(stdout).toBe("over-unix\n");
      expect(exitCode).toBe(4);
      await client.close();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    expect(existsSync(path)).toBe(false);
  });

  test("a stale socket file is replaced; a live one, or another kind of file, is refused", async () => {
    const stale = join(dir, "stale.sock");
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(stale, resolve));
    // A live socket: refused, and left alone.
    const refused = await run(["--listen", `unix://${stale}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("in use by another server");
    holder.close();
    // A holder killed with SIGKILL leaves its socket file behind: that one is stale and replaced.
    const killed = Bun.spawn(["bun", "-e", `require("node:net").createServer().listen(${JSON.stringify(stale)}); setInterval(() => {}, 1000)`], { env });
    while (!existsSync(stale)) await Bun.sleep(10);
    killed.kill("SIGKILL");
    await killed.exited;
    expect(statSync(stale).isSocket()).toBe(true);
    const daemon = await start(["--listen", `unix://${stale}`]);
    const client = await ExecServerClient.connectWebSocket({ url: daemon.url });
    expect((await client.run(["echo", "replaced"], { env })).stdout).toBe("replaced\n");
    await client.close();
    expect(await daemon.stop()).toBe(0);
    const regular = join(dir, "regular-file");
    await Bun.write(regular, "not a socket");
    const notSocket = await run(["--listen", `unix://${regular}`]);
    expect(notSocket.code).toBe(1);
    expect(notSocket.stderr).toContain("is not a socket");
    expect(readFileSync(regular, "utf8")).toBe("not a socket");
  });

  test("a relative path is refused", async () => {
    const relative = await run(["--listen", "unix://relative.sock"]);
    expect(relative.code).toBe(2);
    expect(relative.stderr).toContain("expected `unix:///absolute/path.sock`");
  });
});

describe("a TCP listener without a token", () => {
  test("generates one, prints it once, writes it to a 0600 file, requires it, and removes the file at exit", async () => {
    const daemon = await start(["--listen", "ws://127.0.0.1:0"]);
    const port = Number(new URL(daemon.url).port);
    const file = join(env.XDG_RUNTIME_DIR, "exec-server", `ws-${port}.token`);
    try {
      const token = /exec-server token: (\S+)/.exec(daemon.stderr)?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(daemon.stderr.split(token!).length).toBe(2); // printed once
      expect(readFileSync(file, "utf8")).toBe(`${token}\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
      expect(ExecServerClient.connectWebSocket({ url: daemon.url, connectTimeoutMs: 5000 })).rejects.toThrow();
      const client = await ExecServerClient.connectWebSocket({ url: daemon.url, token: readFileSync(file, "utf8").trim() });
      expect((await client.run(["echo", "with-token"], { env })).stdout).toBe("with-token\n");
      await client.close();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    expect(existsSync(file)).toBe(false);
  });

  test("--no-auth turns it off on loopback only, and not together with a token", async () => {
    const open = await start(["--listen", "ws://127.0.0.1:0", "--no-auth"]);
    try {
      expect(open.stderr).not.toContain("token");
      const client = await ExecServerClient.connectWebSocket({ url: open.url });
      expect((await client.run(["echo", "open"], { env })).stdout).toBe("open\n");
      await client.close();
    } finally {
      await open.stop();
    }
    const lan = await run(["--listen", "ws://0.0.0.0:0", "--no-auth"]);
    expect(lan.code).toBe(2);
    expect(lan.stderr).toContain("--no-auth is only allowed on loopback addresses");
    const both = await run(["--listen", "ws://127.0.0.1:0", "--no-auth", "--token", "x"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("contradict");
  });
});
