import { tmpdir } from "node:os";
import { DaemonProcess, type TransportKind } from "../daemon.ts";
import { isLive } from "../proc-tree.ts";
import { ProtocolClient } from "../protocol-client.ts";
import { openWebSocketWire, stdioWire, type Wire } from "../wire.ts";
import { within } from "../within.ts";

export interface OversizeResult {
  readonly label: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface OversizeOptions {
  readonly transport: TransportKind;
  /** Websocket: the running daemon, started with this limit. Stdio: a daemon per case is started with it. */
  readonly url?: string;
  readonly maxMessageBytes: number;
  readonly env: Record<string, string>;
  /** Where the victim runs: inside the daemon's --fs-root when it has one. */
  readonly cwd?: string;
}

interface OversizeCase {
  readonly label: string;
  readonly only?: TransportKind;
  readonly send: (wire: Wire, limit: number) => Promise<void>;
}

const CASES: readonly OversizeCase[] = [
  {
    label: "json-request",
    send: async (wire, limit) => {
      wire.send(JSON.stringify({ id: "big", method: "initialize", params: { clientName: "x".repeat(limit + 1) } }));
    },
  },
  {
    label: "garbage-bytes",
    send: async (wire, limit) => {
      const bytes = new Uint8Array(limit + 1).fill(0x7b);
      if (wire.kind === "stdio") wire.sendRaw(Buffer.concat([bytes, Buffer.from("\n")]));
      else wire.sendRaw(bytes);
    },
  },
  {
    label: "line-without-end",
    only: "stdio",
    send: async (wire, limit) => {
      // The framer must give up while the line is still open, not wait for its newline.
      const part = new Uint8Array(Math.ceil((limit + 1) / 3)).fill(0x61);
      for (let i = 0; i < 3; i++) {
        wire.sendRaw(part);
        await wire.flush();
      }
    },
  },
];

/**
 * Each over-size message on its own connection, which already runs a child:
 * the connection must be closed (websocket 1009; stdio: the daemon ends with
 * status 0), the child killed, and nothing else disturbed.
 */
export async function runOversize(options: OversizeOptions): Promise<OversizeResult[]> {
  const out: OversizeResult[] = [];
  for (const oversize of CASES.filter((candidate) => (candidate.only ?? options.transport) === options.transport)) {
    let daemon: DaemonProcess | undefined;
    try {
      let wire: Wire;
      if (options.transport === "stdio") {
        daemon = await DaemonProcess.start({ transport: "stdio", args: ["--max-message-bytes", String(options.maxMessageBytes), "--log-level", "error"] });
        wire = stdioWire(daemon);
      } else {
        wire = await openWebSocketWire(options.url!);
      }
      const client = new ProtocolClient(wire);
      await client.handshake("oversize");
      const { pid } = await client.call("process/start", {
        processId: "victim",
        argv: ["cat"],
        cwd: options.cwd ?? tmpdir(),
        env: options.env,
        tty: false,
        pipeStdin: true,
      });
      await oversize.send(wire, options.maxMessageBytes);
      const closed = await within(wire.closed, 10_000);
      const problems: string[] = [];
      if (!closed) problems.push("connection still open after 10 s");
      else if (wire.kind === "websocket" && closed.code !== 1009) problems.push(`close code ${closed.code}, expected 1009`);
      if (daemon) {
        const code = (await within(daemon.exited(), 10_000)) ?? "still running";
        if (code !== 0) problems.push(`daemon exit: ${code}`);
      }
      const deadline = performance.now() + 5000;
      while (pid !== undefined && isLive(pid) && performance.now() < deadline) await Bun.sleep(20);
      if (pid !== undefined && isLive(pid)) problems.push(`child ${pid} still running`);
      out.push({
        label: `${options.transport}:${oversize.label}`,
        ok: problems.length === 0,
        detail: problems.join("; ") || `closed${closed?.code ? ` ${closed.code}` : ""}`,
      });
    } catch (error) {
      out.push({ label: `${options.transport}:${oversize.label}`, ok: false, detail: String(error) });
    } finally {
      await daemon?.stop("SIGKILL");
    }
  }
  return out;
}
