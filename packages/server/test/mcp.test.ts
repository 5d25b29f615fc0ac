import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { daemonCommand, startDaemon, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { alive } from "@x/exec-test-kit/proc-tree.ts";

// The official MCP client runs `exec-server mcp` from the package bin, as an agent's config would.
const PACKAGE_BIN = join(import.meta.dir, "..", "..", "..", "node_modules", ".bin", "exec-server");
const TOKEN = "mcp-test-token";

const guard = new LeakGuard();
afterAll(() => guard.assertClean());

let home: string;
beforeAll(() => {
  // Children run `$SHELL -lc`: a temporary HOME keeps the machine's login scripts out.
  home = mkdtempSync(join(tmpdir(), "exec-server-mcp-home-"));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function childEnv(): Record<string, string> {
  return { PATH: process.env.PATH!, HOME: home, SHELL: "/bin/bash", LANG: "C.UTF-8" };
}

interface ToolResult {
  readonly text: string;
  readonly structured: Record<string, any>;
  readonly isError: boolean;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as Array<{ type: string; text: string }>;
  expect(content[0]?.type).toBe("text");
  // Answers carry structuredContent; failures only the text that says why.
  expect(result.structuredContent === undefined).toBe(result.isError === true);
  return { text: content[0]!.text, structured: result.structuredContent as Record<string, any>, isError: result.isError === true };
}

describe.each(["in-process", "--connect"] as const)("exec-server mcp (%s)", (mode) => {
  let daemon: Daemon | undefined;
  let client: Client;
  let transport: StdioClientTransport;
  let workdir: string;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), "exec-server-mcp-work-"));
    writeFileSync(join(workdir, "marker-file.txt"), "x");
    const args = ["mcp"];
    const env = childEnv();
    if (mode === "--connect") {
      daemon = await startDaemon("websocket", ["--token", TOKEN]);
      args.push("--connect", daemon.url!);
      env.EXEC_SERVER_TOKEN = TOKEN;
    }
    transport = new StdioClientTransport({ command: PACKAGE_BIN, args, env, stderr: "inherit" });
    client = new Client({ name: "mcp-test", version: "1.0.0" });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client.close();
    await daemon?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  test("lists the eight tools, each with input and output schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "exec_command",
      "kill_session",
      "list_directory",
      "list_sessions",
      "read_file",
      "read_terminal",
      "write_file",
      "write_stdin",
    ]);
    const read = tools.find((tool) => tool.name === "read_file")!;
    expect(Object.keys(read.inputSchema.properties ?? {}).sort()).toEqual(["length", "offset", "path"]);
    expect(read.inputSchema.required).toEqual(["path"]);
    const write = tools.find((tool) => tool.name === "write_file")!;
    expect(write.inputSchema.required?.sort()).toEqual(["content", "path"]);
    const exec = tools.find((tool) => tool.name === "exec_command")!;
    expect(Object.keys(exec.inputSchema.properties ?? {}).sort()).toEqual(["cmd", "max_output_tokens", "tty", "workdir", "yield_time_ms"]);
    expect(exec.inputSchema.required).toEqual(["cmd"]);
    for (const tool of tools) expect(tool.outputSchema?.type).toBe("object");
  });

  test("exec_command runs echo to completion: output, exit code, no session", async () => {
    const result = await call(client, "exec_command", { cmd: "echo hello; echo oops >&2; exit 3", workdir });
    expect(result.isError).toBe(false);
    expect(result.structured).toMatchObject({ running: false, exit_code: 3, signal: null, truncated: false, omitted_bytes: 0 });
    expect(result.structured.output.split("\n").sort()).toEqual(["", "hello", "oops"]);
    expect(result.structured.session_id).toBeUndefined();
    expect(result.text).toStartWith("Process exited with code 3\n");
  });

  test("long output keeps the head and the tail and says how much was left out", async () => {
    const result = await call(client, "exec_command", { cmd: "seq 1 20000", max_output_tokens: 100 });
    expect(result.structured).toMatchObject({ exit_code: 0, truncated: true });
    const total = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("").length;
    expect(result.structured.omitted_bytes).toBe(total - 100 * 4); // 100 tokens of 4 bytes kept
    expect(result.structured.output).toStartWith("1\n2\n3\n");
    expect(result.structured.output).toEndWith("19999\n20000\n");
    expect(result.text).toContain(`(${result.structured.omitted_bytes} bytes left out of the middle)`);
  });

  test("bash on a tty: write ls, read the terminal, exit", async () => {
    const started = await call(client, "exec_command", { cmd: "PS1='$ ' exec bash --norc --noprofile", tty: true, workdir, yield_time_ms: 1000 });
    expect(started.structured.running).toBe(true);
    const sessionId = started.structured.session_id as number;
    expect(started.text).toStartWith(`Process running with session ID ${sessionId}`);

    let listing = "";
    // Until the listing and the next prompt are both in: the screen is read after them.
    for (let i = 0; i < 20 && !/marker-file\.txt[^]*\$ $/.test(listing); i++) {
      const polled = await call(client, "write_stdin", { session_id: sessionId, chars: i === 0 ? "ls\n" : "", yield_time_ms: 500 });
      expect(polled.isError).toBe(false);
      listing += polled.structured.output;
    }
    expect(listing).toContain("marker-file.txt");

    const screen = await call(client, "read_terminal", { session_id: sessionId });
    expect(screen.isError).toBe(false);
    expect(screen.structured).toMatchObject({ session_id: sessionId, cols: 80, rows: 24, running: true, alt_screen: false });
    const lines = screen.structured.lines as string[];
    expect(lines.some((line) => line.includes("marker-file.txt"))).toBe(true);
    // The cursor sits after the new prompt, below the listing.
    const promptRow = lines.findLastIndex((line) => line.startsWith("$"));
    expect(screen.structured.cursor).toEqual({ row: promptRow, col: 2 });
    expect(screen.text).toContain("marker-file.txt");

    let exit = await call(client, "write_stdin", { session_id: sessionId, chars: "exit 4\n", yield_time_ms: 5000 });
    for (let i = 0; i < 10 && exit.structured.running; i++) exit = await call(client, "write_stdin", { session_id: sessionId, yield_time_ms: 1000 });
    expect(exit.structured).toMatchObject({ running: false, exit_code: 4 });
    expect(exit.structured.session_id).toBeUndefined();
  });

  test("a long sleep loop polled across several calls loses no line, then is killed with its tree", async () => {
    const cmd = "i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.05; done";
    const started = await call(client, "exec_command", { cmd, yield_time_ms: 300 });
    const sessionId = started.structured.session_id as number;
    expect(started.structured.running).toBe(true);
    let output = started.structured.output as string;
    for (let i = 0; i < 4; i++) {
      const polled = await call(client, "write_stdin", { session_id: sessionId, yield_time_ms: 300 });
      expect(polled.structured).toMatchObject({ running: true, session_id: sessionId, truncated: false });
      output += polled.structured.output;
      await Bun.sleep(200); // output produced between calls must come with the next one
    }
    // Calls an agent sends at once take turns: together they still miss nothing.
    const both = await Promise.all([1, 2].map(() => call(client, "write_stdin", { session_id: sessionId, yield_time_ms: 200 })));
    output += both.map((result) => result.structured.output).join("");
    const listed = await call(client, "list_sessions", {});
    const row = (listed.structured.sessions as Array<Record<string, any>>).find((s) => s.session_id === sessionId)!;
    expect(row).toMatchObject({ command: cmd, running: true, tty: false, exit_code: null });
    const shellPid = row.pid as number;
    expect(alive(shellPid)).toBe(true);

    const killed = await call(client, "kill_session", { session_id: sessionId });
    expect(killed.structured).toMatchObject({ session_id: sessionId, was_running: true, running: false, signal: "SIGKILL" });
    expect(alive(shellPid)).toBe(false);
    const rest = await call(client, "write_stdin", { session_id: sessionId, yield_time_ms: 1000 });
    expect(rest.structured).toMatchObject({ running: false, signal: "SIGKILL" });
    output += rest.structured.output;

    const numbers = output.trim().split("\n").map((line) => Number(line.replace("line-", "")));
    expect(numbers.length).toBeGreaterThan(15);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
  });

  test("failures are tool errors that say why", async () => {
    const unknown = await call(client, "write_stdin", { session_id: 9999, chars: "x" });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain("no session 9999");
    const pipe = await call(client, "exec_command", { cmd: "sleep 30", yield_time_ms: 50 });
    const notTty = await call(client, "read_terminal", { session_id: pipe.structured.session_id });
    expect(notTty.isError).toBe(true);
    expect(notTty.text).toContain("tty: false");
    const noStdin = await call(client, "write_stdin", { session_id: pipe.structured.session_id, chars: "hi\n" });
    expect(noStdin.isError).toBe(true);
    expect(noStdin.text).toContain("no stdin");
    const badDir = await call(client, "exec_command", { cmd: "true", workdir: "/no/such/dir" });
    expect(badDir.isError).toBe(true);
    expect(badDir.text).toContain("/no/such/dir");
    const badArgs = await client.callTool({ name: "exec_command", arguments: { cmd: 42 } });
    expect(badArgs.isError).toBe(true);
    await call(client, "kill_session", { session_id: pipe.structured.session_id, signal: "SIGTERM" });
  });

  test("write_file, then read_file and list_directory see it; exec_command sees the same file", async () => {
    const path = join(workdir, "notes", "hello.txt");
    expect((await call(client, "exec_command", { cmd: "mkdir notes", workdir })).structured.exit_code).toBe(0);
    const written = await call(client, "write_file", { path, content: "héllo\nwörld\n" });
    expect(written.isError).toBe(false);
    expect(written.structured).toEqual({ path, bytes_written: 14 });
    expect(readFileSync(path, "utf8")).toBe("héllo\nwörld\n");

    const read = await call(client, "read_file", { path });
    expect(read.structured).toEqual({ path, content: "héllo\nwörld\n", encoding: "utf-8", offset: 0, bytes: 14, size: 14, next_offset: null });
    expect(read.text).toStartWith(`${path}: 14 bytes, bytes 0-13\n`);
    expect(read.text).toEndWith("héllo\nwörld\n");
    const cat = await call(client, "exec_command", { cmd: `cat ${path}` });
    expect(cat.structured.output).toBe("héllo\nwörld\n");

    writeFileSync(join(workdir, "notes", "b.bin"), "x");
    symlinkSync("hello.txt", join(workdir, "notes", "link"));
    const listed = await call(client, "list_directory", { path: join(workdir, "notes") });
    expect(listed.structured).toEqual({
      path: join(workdir, "notes"),
      entries: [
        { name: "b.bin", type: "file" },
        { name: "hello.txt", type: "file" },
        { name: "link", type: "symlink" },
      ],
      total: 3,
      truncated: false,
    });
    const top = await call(client, "list_directory", { path: workdir });
    expect(top.structured.entries).toContainEqual({ name: "notes", type: "directory" });
    expect(top.text).toContain("\nnotes/");
  });

  test("read_file in steps: offset and length, next_offset, a character never cut in half", async () => {
    const path = join(workdir, "steps.txt");
    // "é" is two bytes (3-4): a 4-byte window ends inside it and must stop before it.
    writeFileSync(path, "abcé-tail");
    const first = await call(client, "read_file", { path, length: 4 });
    expect(first.structured).toMatchObject({ content: "abc", encoding: "utf-8", offset: 0, bytes: 3, size: 10, next_offset: 3 });
    expect(first.text).toContain("more from offset 3");
    const second = await call(client, "read_file", { path, offset: 3, length: 4 });
    expect(second.structured).toMatchObject({ content: "é-t", bytes: 4, next_offset: 7 });
    const last = await call(client, "read_file", { path, offset: 7 });
    expect(last.structured).toMatchObject({ content: "ail", bytes: 3, next_offset: null });
    const past = await call(client, "read_file", { path, offset: 100 });
    expect(past.structured).toMatchObject({ content: "", bytes: 0, size: 10, next_offset: null });
  });

  test("binary goes both ways as base64, byte-exact", async () => {
    const bytes = new Uint8Array(512).map((_, i) => (i * 37) % 256);
    const path = join(workdir, "blob.bin");
    const written = await call(client, "write_file", { path, content: Buffer.from(bytes).toString("base64"), encoding: "base64" });
    expect(written.structured.bytes_written).toBe(512);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    const read = await call(client, "read_file", { path });
    expect(read.structured).toMatchObject({ encoding: "base64", bytes: 512, size: 512, next_offset: null });
    expect(new Uint8Array(Buffer.from(read.structured.content, "base64"))).toEqual(bytes);
    expect(read.text).toContain("(binary, base64)");
  });

  test("file tool failures are tool errors that say why", async () => {
    const missing = await call(client, "read_file", { path: join(workdir, "no-such-file") });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain("ENOENT");
    const relative = await call(client, "read_file", { path: "relative.txt" });
    expect(relative.isError).toBe(true);
    expect(relative.text).toContain("absolute path");
    const directory = await call(client, "read_file", { path: workdir });
    expect(directory.isError).toBe(true);
    expect(directory.text).toContain("list_directory");
    const exists = join(workdir, "exists.txt");
    writeFileSync(exists, "keep");
    const createOnly = await call(client, "write_file", { path: exists, content: "new", create_only: true });
    expect(createOnly.isError).toBe(true);
    expect(createOnly.text).toContain("EEXIST");
    expect(readFileSync(exists, "utf8")).toBe("keep");
    const badBase64 = await call(client, "write_file", { path: exists, content: "not base64!", encoding: "base64" });
    expect(badBase64.isError).toBe(true);
    expect(badBase64.text).toContain("not valid base64");
    expect(readFileSync(exists, "utf8")).toBe("keep");
    const notDir = await call(client, "list_directory", { path: exists });
    expect(notDir.isError).toBe(true);
    expect(notDir.text).toContain("ENOTDIR");
    const tooLong = await client.callTool({ name: "read_file", arguments: { path: exists, length: 2 * 1024 * 1024 } });
    expect(tooLong.isError).toBe(true);
  });
});

test("end of stdin (the MCP client gone) kills every session's tree and exits 0", async () => {
  const child = Bun.spawn([PACKAGE_BIN, "mcp"], { env: childEnv(), stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const send = (message: object) => {
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
    void child.stdin.flush();
  };
  const lines = (async function* () {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let newline; (newline = buffer.indexOf("\n")) !== -1; buffer = buffer.slice(newline + 1)) yield JSON.parse(buffer.slice(0, newline));
    }
  })();
  send({ id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } } });
  expect((await lines.next()).value).toMatchObject({ id: 1, result: { serverInfo: { name: "exec-server" } } });
  send({ method: "notifications/initialized" });
  send({ id: 2, method: "tools/call", params: { name: "exec_command", arguments: { cmd: "sleep 300 & setsid sleep 301 & echo $!; sleep 302", yield_time_ms: 300 } } });
  const started = (await lines.next()).value;
  expect(started).toMatchObject({ id: 2, result: { structuredContent: { running: true, session_id: 1 } } });
  // One that left the process group and session: the tree kill must still find it.
  const escapee = Number(started.result.structuredContent.output.trim());
  expect(alive(escapee)).toBe(true);
  send({ id: 3, method: "tools/call", params: { name: "list_sessions", arguments: {} } });
  const pid = (await lines.next()).value.result.structuredContent.sessions[0].pid as number;
  expect(alive(pid)).toBe(true);
  void child.stdin.end();
  expect(await child.exited).toBe(0);
  expect(alive(pid)).toBe(false);
  expect(alive(escapee)).toBe(false);
});

test("--connect with a wrong token fails at start with a message, before any MCP traffic", async () => {
  const daemon = await startDaemon("websocket", ["--token", TOKEN]);
  try {
    const child = Bun.spawn([PACKAGE_BIN, "mcp", "--connect", daemon.url!, "--token", "wrong"], {
      env: childEnv(),
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    expect(await new Response(child.stderr).text()).toContain("exec-server mcp: cannot reach the exec server");
    expect(await new Response(child.stdout).text()).toBe("");
  } finally {
    await daemon.stop();
  }
});

test("write_stdin says when output past the daemon's retention went by between calls", async () => {
  const daemon = await startDaemon("websocket", ["--token", TOKEN, "--retained-output-bytes", "65536"]);
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  try {
    const env = { ...childEnv(), EXEC_SERVER_TOKEN: TOKEN };
    const transport = new StdioClientTransport({ command: PACKAGE_BIN, args: ["mcp", "--connect", daemon.url!], env, stderr: "inherit" });
    await client.connect(transport);
    // 8 MB while nobody reads: more than the client buffers (1 MiB) and the daemon retains.
    const started = await call(client, "exec_command", { cmd: "sleep 0.3; head -c 8000000 /dev/zero; echo; echo done; sleep 30", yield_time_ms: 50 });
    expect(started.structured).toMatchObject({ running: true, skipped_chunks: 0 });
    await Bun.sleep(2000);
    const polled = await call(client, "write_stdin", { session_id: started.structured.session_id, yield_time_ms: 500 });
    expect(polled.structured.output).toEndWith("done\n");
    expect(polled.structured.truncated).toBe(true);
    expect(polled.structured.skipped_chunks).toBeGreaterThan(0);
    expect(polled.text).toContain(`${polled.structured.skipped_chunks} chunks skipped`);
    await call(client, "kill_session", { session_id: started.structured.session_id });
  } finally {
    await client.close();
    await daemon.stop();
  }
});

test("--connect unix:///PATH reaches a daemon listening on a unix socket", async () => {
  const socket = join(home, "mcp.sock");
  const daemon = Bun.spawn([...daemonCommand(), "--listen", `unix://${socket}`], { env: childEnv(), stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  try {
    const stderr = daemon.stderr.getReader();
    let printed = "";
    while (!printed.includes("listening on")) {
      const { done, value } = await stderr.read();
      if (done) throw new Error(`daemon did not start: ${printed}`);
      printed += new TextDecoder().decode(value);
    }
    stderr.releaseLock();
    const transport = new StdioClientTransport({ command: PACKAGE_BIN, args: ["mcp", "--connect", `unix://${socket}`], env: childEnv(), stderr: "inherit" });
    await client.connect(transport);
    const result = await call(client, "exec_command", { cmd: "echo over-unix" });
    expect(result.isError).toBe(false);
    expect(result.structured).toMatchObject({ running: false, exit_code: 0, output: "over-unix\n" });
  } finally {
    await client.close();
    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  }
});
