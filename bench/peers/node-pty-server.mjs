// The node-pty + ws peer: what a user would write by hand under Node. One process per
// websocket connection, raw binary frames both ways, a text frame {"exit":code} at the end.
//   ws://HOST:PORT/?tty=1&argv=["bash","-i"]&cols=80&rows=24
// Pipe output is paused while more than HIGH_WATER bytes wait to be sent, so a slow client
// pushes back on the child instead of growing this process. Terminal output is not:
// node-pty drops the tail of the output when the child exits while it is paused.
import { spawn as spawnPipe } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pty = require("node-pty");
const { WebSocketServer } = require("ws");

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
server.on("listening", () => process.stdout.write(`listening on ${server.address().port}\n`));

server.on("connection", (ws, request) => {
  const query = new URL(request.url ?? "/", "http://localhost").searchParams;
  const argv = JSON.parse(query.get("argv") ?? '["true"]');
  const env = { ...process.env, TERM: "xterm-256color" };
  if (query.get("tty") === "1") servePty(ws, argv, env, query);
  else servePipe(ws, argv, env);
});

function flowControl(ws, pause, resume) {
  let paused = false;
  return (chunk) => {
    ws.send(chunk, { binary: true }, () => {
      if (paused && ws.bufferedAmount < LOW_WATER) {
        paused = false;
        resume();
      }
    });
    if (!paused && ws.bufferedAmount > HIGH_WATER) {
      paused = true;
      pause();
    }
  };
}

function finish(ws, code) {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify({ exit: code }), () => ws.close());
}

function servePty(ws, argv, env, query) {
  const term = pty.spawn(argv[0], argv.slice(1), {
    name: "xterm-256color",
    cols: Number(query.get("cols") ?? 80),
    rows: Number(query.get("rows") ?? 24),
    cwd: process.cwd(),
    env,
    encoding: null,
  });
  term.onData((data) => ws.send(data, { binary: true }));
  term.onExit(({ exitCode }) => finish(ws, exitCode));
  ws.on("message", (data) => term.write(data));
  ws.on("close", () => {
    try {
      term.kill("SIGHUP");
    } catch {
      // already gone
    }
  });
}

function servePipe(ws, argv, env) {
  const child = spawnPipe(argv[0], argv.slice(1), { env, stdio: ["pipe", "pipe", "pipe"] });
  const sendOut = flowControl(ws, () => child.stdout.pause(), () => child.stdout.resume());
  const sendErr = flowControl(ws, () => child.stderr.pause(), () => child.stderr.resume());
  child.stdout.on("data", sendOut);
  child.stderr.on("data", sendErr);
  child.on("error", () => finish(ws, 127));
  child.stdin.on("error", () => {});
  child.on("close", (code) => finish(ws, code ?? 128));
  ws.on("message", (data) => child.stdin.write(data));
  ws.on("close", () => child.kill("SIGKILL"));
}

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
