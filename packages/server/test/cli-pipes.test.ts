import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DaemonProcess, SERVER_BIN, type Daemon } from "@x/exec-test-kit/daemon.ts";

// `exec-server run -T` in a shell pipeline: every byte through, both ways,
// whatever the speed of the other end of the pipe.
const TOKEN = "cli-pipes-s3cret";
let home: string;
let daemon: Daemon;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "exec-server-cli-pipes-"));
  writeFileSync(join(home, "token"), `${TOKEN}\n`);
  daemon = await DaemonProcess.start({
    transport: "websocket",
    args: ["--token", TOKEN],
    reportUnexpectedExit: true,
    env: { HOME: home, PATH: process.env.PATH },
  });
});

afterAll(async () => {
  await daemon?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Runs a local shell pipeline around `exec-server run`; `RUN` in it expands to the run command. */
async function pipeline(script: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const run = `bun ${SERVER_BIN} run ${daemon.url} --token ${TOKEN} -T`;
  const proc = Bun.spawn(["sh", "-c", script.replaceAll("RUN", run)], {
    env: { HOME: home, PATH: process.env.PATH! },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, exitCode };
}

describe("exec-server run -T in a pipeline", () => {
  test("a slow reader gets all of the output before run exits", async () => {
    const result = await pipeline(`RUN -- sh -c 'head -c 10000000 /dev/zero' | (sleep 2; wc -c); echo "run=$?"`);
    expect(result.stderr).toBe("");
    expect(result.stdout.split(/\s+/).filter(Boolean)).toEqual(["10000000", "run=0"]);
  });

  test("piped stdin reaches the process whole", async () => {
    const result = await pipeline(`head -c 20000000 /dev/zero | RUN -- sh -c 'sleep 1; wc -c'; echo "run=$?"`);
    expect(result.stderr).toBe("");
    expect(result.stdout.split(/\s+/).filter(Boolean)).toEqual(["20000000", "run=0"]);
  });

  test("the exit code comes through", async () => {
    const result = await pipeline(`RUN -- sh -c 'echo out; echo err >&2; exit 7'; echo "run=$?"`);
    expect(result.stdout).toBe("out\nrun=7\n");
    expect(result.stderr).toBe("err\n");
  });
});
