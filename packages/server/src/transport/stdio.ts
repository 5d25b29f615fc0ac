import { LineFramer, MessageTooLargeError } from "@x/exec-protocol";
import type { ExecServer } from "../exec-server.ts";
import type { OutboundChannel } from "../rpc/outbound-channel.ts";
import { growSendBuffer } from "./socket-buffer.ts";

/**
 * Kernel send buffer asked for on the daemon's stdout when it is a socket (what
 * Bun.spawn gives a child). The kernel doubles it, capped by net.core.wmem_max:
 * at most 4 MiB in flight to the one stdio peer, on top of the connection's own
 * outbound bound, and none of it in the daemon's memory.
 */
const STDOUT_SEND_BUFFER_BYTES = 2 * 1024 * 1024;

/**
 * Writes messages to a Bun FileSink in order, one line each, and counts what is
 * still queued so the connection can apply backpressure.
 */
class LineWriter implements OutboundChannel {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  private ended = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly sink: Bun.FileSink,
    private readonly onDrained: () => void,
  ) {}

  send(text: string): void {
    if (this.ended) return;
    const line = `${text}\n`;
    this.queue.push(line);
    this.queuedBytes += line.length;
    if (!this.writing) void this.writeQueued();
  }

  bufferedBytes(): number {
    return this.queuedBytes;
  }

  close(): void {
    this.ended = true;
  }

  /** Resolves once everything queued has been handed to the pipe. */
  flushed(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    try {
      // Flush after each batch: the sink may hold small writes in its own buffer.
      while (this.queue.length > 0) {
        while (this.queue.length > 0) {
          const line = this.queue.shift()!;
          const written = this.sink.write(line);
          if (typeof written !== "number") await written;
          this.queuedBytes -= line.length;
          this.onDrained();
        }
        const flushed = this.sink.flush();
        if (typeof flushed !== "number") await flushed;
      }
    } catch {
      this.ended = true; // the reader went away; stdin EOF ends the connection
      this.queue.length = 0;
      this.queuedBytes = 0;
    } finally {
      this.writing = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

/**
 * Serves one connection over newline-delimited JSON on the given streams
 * (stdin/stdout for the daemon). Resolves when input ends or the connection is
 * closed, after that connection's processes are killed.
 */
export async function serveStdio(
  server: ExecServer,
  input: ReadableStream<Uint8Array> = Bun.stdin.stream(),
  output?: Bun.FileSink,
): Promise<void> {
  if (output === undefined) {
    growSendBuffer(1, STDOUT_SEND_BUFFER_BYTES);
    output = Bun.stdout.writer();
  }
  let connection: ReturnType<ExecServer["openConnection"]> | undefined;
  const writer = new LineWriter(output, () => connection?.drained());
  connection = server.openConnection(writer, "stdio connection");
  const framer = new LineFramer(server.config.maxMessageBytes);
  const reader = input.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const line of framer.push(value)) connection.receive(line);
    }
    connection.closedByPeer("stdin reached end of file");
  } catch (error) {
    if (error instanceof MessageTooLargeError) connection.close(`${error.message} (--max-message-bytes)`);
    else connection.closedByPeer(`stdin failed: ${(error as Error).message}`);
  } finally {
    reader.releaseLock();
  }
  await writer.flushed().catch(() => {});
}
