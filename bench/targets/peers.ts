import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { freePort, launchServer, type RunningServer } from "../lib/launch.ts";
import { PEERS_DIR } from "../lib/paths.ts";
import { WsClient, type WsMessage } from "@x/exec-test-kit/ws-client.ts";
import { Unsupported, childEnv, type Interactive, type Target, type TargetSpec } from "./target.ts";

/** Why a peer cannot run here, or undefined when it can. */
export function peerMissing(kind: "node-pty-ws" | "websocketd" | "terminado"): string | undefined {
  switch (kind) {
    case "node-pty-ws":
      if (!Bun.which("node")) return "node is not installed";
      for (const name of ["node-pty", "ws"]) {
        if (!existsSync(resolve(PEERS_DIR, "node_modules", name, "package.json"))) {
          return `bench/peers/node_modules/${name} is missing (run bench/setup.sh)`;
        }
      }
      return undefined;
    case "websocketd":
      return Bun.which("websocketd") ? undefined : "websocketd is not installed (run bench/setup.sh)";
    case "terminado":
      return terminadoPython() ? undefined : "python3-terminado is not installed (run bench/setup.sh)";
  }
}

let python: string | null | undefined;
/** A python3 that can import terminado: Debian's, which a pyenv shim may hide. */
function terminadoPython(): string | null {
  if (python !== undefined) return python;
  python = null;
  for (const candidate of ["/usr/bin/python3", Bun.which("python3")]) {
    if (!candidate) continue;
    const probe = Bun.spawnSync([candidate, "-c", "import terminado, tornado"], { stdout: "ignore", stderr: "ignore" });
    if (probe.exitCode === 0) return (python = candidate);
  }
  return python;
}

/** Counts message bytes until the peer says the process ended. */
type Decoder = (message: WsMessage) => { data?: Uint8Array; bytes?: number; ended?: boolean };

/** A peer that starts a process per websocket connection. */
class PeerTarget implements Target {
  constructor(
    private readonly server: RunningServer,
    private readonly path: string,
    private readonly decode: Decoder,
    private readonly encodeInput: ((data: Uint8Array) => { text?: string; binary?: Uint8Array }) | undefined,
  ) {}

  get serverPid(): number {
    return this.server.pid;
  }

  private async consume(ws: WsClient, onData?: (data: Uint8Array) => void): Promise<number> {
    let bytes = 0;
    await new Promise<void>((resolve) => {
      ws.onMessage = (message) => {
        const decoded = this.decode(message);
        if (decoded.bytes) bytes += decoded.bytes;
        if (decoded.data && onData) onData(decoded.data);
        if (decoded.ended) resolve();
      };
      ws.onClose = () => resolve();
    });
    ws.close();
    return bytes;
  }

  async run(): Promise<number> {
    return this.consume(await WsClient.connect(this.server.url + this.path));
  }

  async interactive(onData: (chunk: Uint8Array) => void): Promise<Interactive> {
    const encode = this.encodeInput;
    if (!encode) throw new Unsupported(`${this.server.name} has no terminals`);
    const ws = await WsClient.connect(this.server.url + this.path);
    const done = this.consume(ws, onData);
    return {
      write: (data) => {
        const input = encode(data);
        if (input.text !== undefined) ws.sendText(input.text);
        else ws.sendBinary(input.binary!);
      },
      close: async () => {
        ws.close();
        await done;
      },
    };
  }

  async runThrottled(bytesPerSec: number, durationMs: number): Promise<number> {
    const ws = await WsClient.connect(this.server.url + this.path);
    ws.limitRate(bytesPerSec);
    let bytes = 0;
    ws.onMessage = (message) => (bytes += this.decode(message).bytes ?? 0);
    await Bun.sleep(durationMs);
    ws.close();
    return bytes;
  }

  close(): Promise<void> {
    return this.server.stop();
  }
}

/** node-pty + ws under Node: raw binary frames, a final {"exit":code} text frame. */
export async function nodePtyTarget(spec: TargetSpec): Promise<Target> {
  const server = await launchServer({
    name: "node-pty-ws",
    argv: ["node", resolve(PEERS_DIR, "node-pty-server.mjs")],
    cwd: "/tmp",
    env: childEnv(),
    ready: /^listening on (\d+)/,
    toUrl: (match) => `ws://127.0.0.1:${match[1]}`,
  });
  const query = new URLSearchParams({ tty: spec.tty ? "1" : "0", argv: JSON.stringify(spec.command) });
  return new PeerTarget(
    server,
    `/?${query}`,
    (message) => (message.text ? { ended: true } : { data: message.data, bytes: message.data.length }),
    spec.tty ? (data) => ({ binary: data }) : undefined,
  );
}

/** websocketd in binary mode: stdout as binary frames, the socket closes when the process ends. */
export async function websocketdTarget(spec: TargetSpec): Promise<Target> {
  if (spec.tty) throw new Unsupported("websocketd runs processes on pipes only");
  const port = freePort();
  const server = await launchServer({
    name: "websocketd",
    argv: ["websocketd", `--port=${port}`, "--address=127.0.0.1", "--binary=true", "--loglevel=info", ...spec.command],
    cwd: "/tmp",
    env: childEnv(),
    ready: /Starting WebSocket server\s*: (ws:\/\/[^/\s]+)/,
    toUrl: (match) => match[1]!,
  });
  return new PeerTarget(server, "/", (message) => ({ data: message.data, bytes: message.data.length }), undefined);
}

/** Jupyter's terminado: JSON text frames ["stdout", text], ["disconnect", 1] at the end. */
export async function terminadoTarget(spec: TargetSpec): Promise<Target> {
  if (!spec.tty) throw new Unsupported("terminado runs processes in terminals only");
  const server = await launchServer({
    name: "terminado",
    argv: [terminadoPython() ?? "python3", resolve(PEERS_DIR, "terminado-server.py"), ...spec.command],
    cwd: "/tmp",
    env: childEnv(),
    ready: /^listening on (\d+)/,
    toUrl: (match) => `ws://127.0.0.1:${match[1]}`,
  });
  const decoder = new TextDecoder();
  return new PeerTarget(
    server,
    "/websocket",
    (message) => {
      const [kind, payload] = JSON.parse(message.data.toString("utf8")) as [string, unknown];
      if (kind === "disconnect") return { ended: true };
      if (kind !== "stdout") return {};
      const data = Buffer.from(payload as string, "utf8");
      return { data, bytes: data.length };
    },
    (data) => ({ text: JSON.stringify(["stdin", decoder.decode(data)]) }),
  );
}
