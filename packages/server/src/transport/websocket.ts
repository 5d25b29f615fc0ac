import type { Server, ServerWebSocket } from "bun";
import type { ExecServer } from "../exec-server.ts";
import type { RpcConnection } from "../rpc/rpc-connection.ts";
import { TicketStore } from "../web/ticket-store.ts";
import { handleWebRequest, type WebPage } from "../web/web-routes.ts";
import { checkUpgradeRequest, chooseSubprotocol, type AccessPolicy } from "./access-policy.ts";
import { removeSocketFile, withOwnerOnlyUmask } from "./unix-socket.ts";

export interface WebSocketListenOptions extends AccessPolicy {
  readonly hostname: string;
  readonly port: number;
  /** Listen on this unix socket path instead (created mode 0600; hostname and port are ignored). */
  readonly unix?: string;
  /** `--web`: serve the terminal page; its own origin and tickets are then accepted. */
  readonly page?: WebPage;
}

export interface WebSocketListener {
  /** `ws://IP:PORT` with the port actually bound, or `unix:///path`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting and closes every connection (which kills their processes). */
  stop(): Promise<void>;
}

interface SocketData {
  connection?: RpcConnection;
  peer: string;
  /** A ping is out and no pong has come back since. */
  awaitingPong: boolean;
}

const decoder = new TextDecoder();

/**
 * Serves the protocol over websockets: one message per frame (text out; text or
 * binary in), one connection and process table per socket. HTTP requests get
 * `/readyz` (and with `page`, the web terminal's routes); everything else must
 * be an authorised upgrade.
 */
export function listenWebSocket(server: ExecServer, options: WebSocketListenOptions): WebSocketListener {
  const { log, config } = server;
  const policy: AccessPolicy = options.page ? { ...options, web: { tickets: new TicketStore() } } : options;
  const sockets = new Set<ServerWebSocket<SocketData>>();
  const keepalive =
    config.pingIntervalMs > 0
      ? setInterval(() => {
          for (const ws of sockets) {
            if (ws.data.awaitingPong) {
              log.warn(`${ws.data.peer}: no pong within ${config.pingIntervalMs} ms: closing`);
              ws.terminate();
              continue;
            }
            ws.data.awaitingPong = true;
            ws.ping();
          }
        }, config.pingIntervalMs)
      : undefined;
  const serve = () => Bun.serve<SocketData>({
    ...(options.unix !== undefined ? { unix: options.unix } : { hostname: options.hostname, port: options.port }),
    // Never Bun's development error page: it shows source lines to whoever connects.
    development: false,
    fetch(request, httpServer) {
      // A request without a Host header (plain HTTP/1.0 probes) has a bare path as its url.
      const url = new URL(request.url, "http://host.invalid");
      if (url.pathname === "/readyz" && request.headers.get("upgrade") === null) {
        return new Response("ok\n", { status: 200 });
      }
      if (options.page && request.headers.get("upgrade") === null) {
        const response = handleWebRequest(request, options.page, policy);
        if (response) return response;
      }
      const refusal = checkUpgradeRequest(request, policy);
      if (refusal) {
        log.warn(`refused websocket from ${httpServer.requestIP(request)?.address ?? "?"}: ${refusal.reason}`);
        return new Response(`${refusal.reason}\n`, { status: refusal.status });
      }
      const peer = `websocket ${options.unix !== undefined ? "unix" : (httpServer.requestIP(request)?.address ?? "?")}`;
      const subprotocol = chooseSubprotocol(request);
      // Bun echoes the first offered subprotocol when the answer names none (oven-sh/bun#26038);
      // an empty value makes it send no header at all.
      const headers = { "sec-websocket-protocol": subprotocol ?? "" };
      if (httpServer.upgrade(request, { data: { peer, awaitingPong: false }, headers })) return undefined;
      return new Response("expected a websocket upgrade\n", { status: 426 });
    },
    websocket: {
      maxPayloadLength: config.maxMessageBytes,
      backpressureLimit: config.connectionHardLimitBytes,
      closeOnBackpressureLimit: true,
      // Keepalive is ours (below): proxies see traffic, and dead peers are noticed.
      idleTimeout: 0,
      sendPings: false,
      open(ws) {
        sockets.add(ws);
        ws.data.connection = server.openConnection(channelFor(ws), ws.data.peer, true);
      },
      pong(ws) {
        ws.data.awaitingPong = false;
      },
      message(ws, message) {
        ws.data.connection?.receive(typeof message === "string" ? message : decoder.decode(message));
      },
      drain(ws) {
        ws.data.connection?.drained();
      },
      close(ws, code, reason) {
        sockets.delete(ws);
        if (code === 1009) log.warn(`${ws.data.peer}: closed: message larger than --max-message-bytes`);
        ws.data.connection?.closedByPeer(`code ${code}${reason ? ` ${reason}` : ""}`);
      },
    },
  });
  const bun: Server<SocketData> = options.unix !== undefined ? withOwnerOnlyUmask(serve) : serve();
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const port = bun.port ?? 0;
  return {
    url: options.unix !== undefined ? `unix://${options.unix}` : `ws://${host}:${port}`,
    port,
    async stop() {
      clearInterval(keepalive);
      await bun.stop(true);
      if (options.unix !== undefined) removeSocketFile(options.unix);
    },
  };
}

function channelFor(ws: ServerWebSocket<SocketData>) {
  return {
    send(text: string) {
      ws.sendText(text);
    },
    sendBinary(bytes: Uint8Array) {
      ws.sendBinary(bytes);
    },
    bufferedBytes() {
      return ws.getBufferedAmount();
    },
    closing() {
      return ws.readyState !== WebSocket.OPEN;
    },
    close(reason: string) {
      ws.close(1008, reason.slice(0, 120));
    },
  };
}
