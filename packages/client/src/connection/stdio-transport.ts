import { DEFAULT_MAX_MESSAGE_BYTES, LineFramer, parseMessage, PauseGate, type OutboundMessage, type Transport, type TransportReceiver } from "@x/exec-protocol";

/**
 * Anything bytes can be written to: a web `WritableStream`, a Bun `FileSink`
 * (a spawned child's `stdin`), or a Node `Writable` (`process.stdout`).
 */
export type ByteWritable =
  | WritableStream<Uint8Array>
  | {
      write(chunk: Uint8Array): unknown;
      flush?(): unknown;
      end?(): unknown;
    };

/** Anything bytes can be read from: a web `ReadableStream` or any async iterable of bytes. */
export type ByteReadable = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

const encoder = new TextEncoder();


/** NDJSON over a pair of byte streams: one JSON message per line, each way. */
export class StdioTransport implements Transport {
  private receiver: TransportReceiver | undefined;
  private ended = false;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly writeBytes: (bytes: Uint8Array) => Promise<void>;
  private readonly endWritable: () => Promise<void>;
  private stopReading: () => Promise<void> = async () => {};
  private readonly gate = new PauseGate();

  constructor(
    private readonly readable: ByteReadable,
    writable: ByteWritable,
    private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    if (writable instanceof WritableStream) {
      const writer = writable.getWriter();
      this.writeBytes = (bytes) => writer.write(bytes);
      this.endWritable = () => writer.close();
    } else {
      this.writeBytes = async (bytes) => {
        await writable.write(bytes);
        await writable.flush?.();
      };
      this.endWritable = async () => {
        await writable.end?.();
      };
    }
  }

  start(receiver: TransportReceiver): void {
    this.receiver = receiver;
    void this.readLoop();
  }

  send(message: OutboundMessage): void {
    if (this.ended) return;
    const bytes = encoder.encode(`${JSON.stringify(message)}\n`);
    // Chained so lines never interleave, whatever the sink does with concurrent writes.
    this.writeChain = this.writeChain
      .then(() => this.writeBytes(bytes))
      .catch((error: unknown) => this.finish(`writing to the server failed: ${(error as Error).message}`));
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  async close(): Promise<void> {
    if (!this.ended) this.ended = true;
    this.resume();
    await this.writeChain;
    await this.endWritable().catch(() => {});
    // Not awaited: an async iterator's return() waits for a pending next().
    void this.stopReading().catch(() => {});
  }

  private async readLoop(): Promise<void> {
    const decoder = new LineFramer(this.maxMessageBytes);
    let reason = "the server closed its output";
    try {
      if (this.readable instanceof ReadableStream) {
        const reader = this.readable.getReader();
        this.stopReading = () => reader.cancel();
        for (;;) {
          // Not reading while paused lets the pipe fill: the server then stops reading its children.
          while (this.gate.paused) await this.gate.opened;
          const { done, value } = await reader.read();
          if (done || !this.deliver(decoder.push(value))) break;
        }
      } else {
        const iterator = this.readable[Symbol.asyncIterator]();
        this.stopReading = async () => {
          await iterator.return?.();
        };
        for (;;) {
          while (this.gate.paused) await this.gate.opened;
          const { done, value } = await iterator.next();
          if (done || !this.deliver(decoder.push(value))) break;
        }
      }
    } catch (error) {
      reason = `reading from the server failed: ${(error as Error).message}`;
    }
    this.finish(reason);
  }

  /** Returns false once the transport has ended. */
  private deliver(lines: string[]): boolean {
    for (const line of lines) {
      if (this.ended) return false;
      let message: unknown;
      try {
        message = parseMessage(line);
      } catch {
        this.finish(`the server sent a line that is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
        void this.close();
        return false;
      }
      this.receiver?.message(message);
    }
    return !this.ended;
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.receiver?.closed(reason);
  }
}
