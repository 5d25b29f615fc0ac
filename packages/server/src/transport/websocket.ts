import type { Server, ServerWebSocket } from "bun";
import type { ExecServer } from "../exec-server.ts";
import type { RpcConnection } from "../rpc/rpc-connection.ts";
import { checkUpgradeRequest, type AccessPolicy } from "./access-policy.ts";

export interface WebSocketListenOptions extends AccessPolicy {
  readonly hostname: string;
  readonly port: number;
}

export interface WebSocketListener {
  /** `ws://IP:PORT` with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting and closes every connection (which kills their processes). */
  stop(): Promise<void>;
}

interface SocketData {
  connection?: RpcConnection;
  peer: string;
}

const decoder = new TextDecoder();

/**
 * Serves the protocol over websockets: one message per frame (text out; text or
 * binary in), one connection and process table per socket. HTTP requests get
 * `/readyz`; everything else must be an authorised upgrade.
 */
export function listenWebSocket(server: ExecServer, options: WebSocketListenOptions): WebSocketListener {
  const { log, config } = server;
  const bun: Server<SocketData> = Bun.serve<SocketData>({
    hostname: options.hostname,
    port: options.port,
    fetch(request, httpServer) {
      const url = new URL(request.url);
      if (url.pathname === "/readyz" && request.headers.get("upgrade") === null) {
        return new Response("ok\n", { status: 200 });
      }
      const refusal = checkUpgradeRequest(request, options);
      if (refusal) {
        log.warn(`refused websocket from ${httpServer.requestIP(request)?.address ?? "?"}: ${refusal.reason}`);
        return new Response(`${refusal.reason}\n`, { status: refusal.status });
      }
      const peer = `websocket ${httpServer.requestIP(request)?.address ?? "?"}`;
      if (httpServer.upgrade(request, { data: { peer } })) return undefined;
      return new Response("expected a websocket upgrade\n", { status: 426 });
    },
    websocket: {
      maxPayloadLength: config.maxMessageBytes,
      backpressureLimit: config.connectionHardLimitBytes,
      closeOnBackpressureLimit: true,
      idleTimeout: 120,
      sendPings: true,
      open(ws) {
        ws.data.connection = server.openConnection(channelFor(ws), ws.data.peer);
      },
      message(ws, message) {
        ws.data.connection?.receive(typeof message === "string" ? message : decoder.decode(message));
      },
      drain(ws) {
        ws.data.connection?.drained();
      },
      close(ws, code, reason) {
        if (code === 1009) log.warn(`${ws.data.peer}: closed: message larger than --max-message-bytes`);
        ws.data.connection?.closedByPeer(`code ${code}${reason ? ` ${reason}` : ""}`);
      },
    },
  });
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const port = bun.port!;
  return {
    url: `ws://${host}:${port}`,
    port,
    async stop() {
      await bun.stop(true);
    },
  };
}

function channelFor(ws: ServerWebSocket<SocketData>) {
  return {
    send(text: string) {
      ws.send(text);
    },
    bufferedBytes() {
      return ws.getBufferedAmount();
    },
    close(reason: string) {
      ws.close(1008, reason.slice(0, 120));
    },
  };
}
