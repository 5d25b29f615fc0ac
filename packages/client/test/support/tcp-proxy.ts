import type { Socket, TCPSocketListener } from "bun";

/** One direction of a proxied connection: bytes waiting for `socket` to take them. */
interface End {
  readonly toClient: boolean;
  socket: Socket<End> | undefined;
  other: End | undefined;
  backlog: Uint8Array[];
}

/**
 * A TCP proxy on 127.0.0.1 in front of a websocket server, so a test can cut
 * a client's connection the way a network does (RST, no close frame) and
 * refuse new ones for a while. Backpressure passes through: a side that cannot
 * write pauses reading on the other.
 */
export interface TcpProxy {
  /** `ws://127.0.0.1:PORT` of the proxy. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resets every open connection, both sides. */
  cut(): void;
  /** While refusing, new connections are reset as soon as they arrive. */
  refuse(refusing: boolean): void;
  /** Until the next `cut()`, bytes from the server are dropped: requests arrive, answers are lost. */
  silenceServer(): void;
  stop(): void;
}

export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const ends = new Set<End>();
  let refusing = false;
  let silenced = false;
  let accepted = 0;

  const write = (end: End, chunk: Uint8Array): void => {
    if (silenced && end.toClient) return;
    if (end.backlog.length === 0 && end.socket) {
      const written = end.socket.write(chunk);
      if (written >= chunk.byteLength) return;
      chunk = chunk.subarray(Math.max(0, written));
    }
    end.backlog.push(new Uint8Array(chunk)); // a copy: the caller's buffer may be reused
    end.other?.socket?.pause();
  };
  const flush = (end: End): void => {
    while (end.backlog.length > 0 && end.socket) {
      const first = end.backlog[0]!;
      const written = end.socket.write(first);
      if (written < first.byteLength) {
        end.backlog[0] = first.subarray(Math.max(0, written));
        return;
      }
      end.backlog.shift();
    }
    end.other?.socket?.resume();
  };
  const close = (end: End | undefined): void => {
    if (!end) return; // a refused connection
    ends.delete(end);
    end.other?.socket?.terminate();
  };
  const handlers = {
    data: (socket: Socket<End>, chunk: Uint8Array) => {
      const other = socket.data?.other;
      if (other) write(other, chunk);
    },
    drain: (socket: Socket<End>) => socket.data && flush(socket.data),
    close: (socket: Socket<End>) => close(socket.data),
    error: (socket: Socket<End>) => close(socket.data),
  };

  const listener: TCPSocketListener<End> = Bun.listen<End>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      ...handlers,
      open(client) {
        accepted++;
        if (refusing) {
          client.terminate();
          return;
        }
        const down: End = { toClient: true, socket: client, other: undefined, backlog: [] };
        const up: End = { toClient: false, socket: undefined, other: down, backlog: [] };
        down.other = up;
        client.data = down;
        ends.add(down).add(up);
        // Bytes from the client wait in `up.backlog` until the server side is connected.
        Bun.connect<End>({ hostname: target.hostname, port: target.port, data: up, socket: handlers }).then(
          (server) => {
            up.socket = server;
            if (!ends.has(down)) server.terminate();
            else flush(up);
          },
          () => client.terminate(),
        );
      },
    },
  });

  return {
    url: `ws://127.0.0.1:${listener.port}`,
    get accepted() {
      return accepted;
    },
    cut() {
      silenced = false;
      for (const end of [...ends]) {
        ends.delete(end);
        end.socket?.terminate();
      }
    },
    refuse(value) {
      refusing = value;
    },
    silenceServer() {
      silenced = true;
    },
    stop() {
      this.cut();
      listener.stop(true);
    },
  };
}
