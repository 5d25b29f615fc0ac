import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExecServer, listenWebSocket, type WebSocketListener } from "exec-server";
import { launchBrowser, type TestBrowser } from "@x/exec-test-kit/chromium.ts";

// The browser entry of @x/exec-client, bundled as a web app would bundle it
// (Bun.build, target browser: the "browser" export condition), run in Chromium
// against a real daemon.
const ENTRY = fileURLToPath(new URL("../src/browser.ts", import.meta.url));
const TOKEN = "bundle-token";
const server = new ExecServer();
let bundle: string;
let site: ReturnType<typeof Bun.serve>;
let listener: WebSocketListener;
let browser: TestBrowser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "exec-client-browser-"));
  const result = await Bun.build({ entrypoints: [ENTRY], target: "browser", format: "esm" });
  expect(result.success).toBe(true);
  bundle = await result.outputs[0]!.text();
  site = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname === "/fetched") return new Response("fetched by the daemon");
      if (pathname === "/sdk.js") {
        return new Response(bundle, { headers: { "content-type": "text/javascript" } });
      }
      return new Response("<!doctype html><title>sdk</title>", { headers: { "content-type": "text/html" } });
    },
  });
  listener = listenWebSocket(server, {
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    allowedOrigins: [`http://127.0.0.1:${site.port}`],
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await listener?.stop();
  await site?.stop(true);
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test("the bundle imports nothing from Node or Bun", () => {
  expect(bundle).not.toMatch(/from\s*["']node:|require\(|\bBun\./);
  // Nor uses their globals: Buffer, process.env, process.cwd() (schema descriptions may name them in prose).
  expect(bundle).not.toMatch(/\bBuffer\.|\bprocess\.(env|cwd|stdout|stderr|stdin)\b/);
  // What needs Bun or Node (spawning the daemon, or importing it in-process) is not in it.
  expect(bundle).not.toMatch(/createInProcessTransport|resolveSync/);
});

test("in Chromium: connect with the token as a subprotocol, run a command, stream a PTY, use fs and fetch", async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${site.port}/`);
  const outcome = await page.evaluate(
    async ({ url, token, dir, site }) => {
      const globals = { process: typeof (globalThis as any).process, Buffer: typeof (globalThis as any).Buffer };
      const sdk = await import("/sdk.js" as string);
      const client = await sdk.ExecServerClient.connectWebSocket({ url, token });
      const run = await client.run(["sh", "-c", "echo from-$((6*7)); echo err >&2; exit 3"], { cwd: "/", env: {} });
      const tty = await client.start({ argv: ["sh", "-c", "stty size; printf 'é\\n'"], cwd: "/", env: {}, tty: true, cols: 50, rows: 7 });
      let text = "";
      const decoder = new TextDecoder();
      for await (const chunk of tty.output()) text += decoder.decode(chunk.data, { stream: true });
      await client.fs.writeFile(`${dir}/from-browser.txt`, "written from the page\n");
      const readBack = await client.fs.readTextFile(`${dir}/from-browser.txt`);
      const fetched = await (await client.fetch(site)).text();
      let noCwd = "";
      await client.start({ argv: ["true"] }).catch((error: Error) => (noCwd = error.message));
      await client.close();
      return { globals, stdout: run.stdout, stderr: run.stderr, exitCode: run.exitCode, text, readBack, fetched, noCwd, state: client.state };
    },
    { url: listener.url, token: TOKEN, dir, site: `http://127.0.0.1:${site.port}/fetched` },
  );
  expect(outcome.globals).toEqual({ process: "undefined", Buffer: "undefined" });
  expect(outcome).toMatchObject({ stdout: "from-42\n", stderr: "err\n", exitCode: 3, state: "closed" });
  expect(outcome.text).toBe("7 50\r\né\r\n");
  expect(outcome.noCwd).toContain("pass `cwd`");
  // client.fs and client.fetch (the daemon does the I/O) work from the browser build too.
  expect(outcome.readBack).toBe("written from the page\n");
  expect(readFileSync(join(dir, "from-browser.txt"), "utf8")).toBe("written from the page\n");
  expect(outcome.fetched).toBe("fetched by the daemon");
  await page.close();
});
