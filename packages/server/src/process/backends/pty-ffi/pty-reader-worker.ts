import { EAGAIN, EINTR, errno, libc, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT } from "./libc.ts";
import { type FromWorker, MAX_CHUNK_BYTES, READ_WINDOW_BYTES, type ToWorker } from "./reader-messages.ts";

/**
 * One thread for every PTY master of the process: it blocks in poll() on all of
 * them plus an eventfd, reads what is ready and posts the chunks. A PTY whose
 * reader is a full window behind is left out of the poll set, so the kernel
 * buffer fills and the child blocks. Idle, this thread sleeps in poll().
 */

declare const self: Worker;

interface Entry {
  readonly fd: number;
  /** Bytes posted and not yet credited back. */
  inFlight: number;
  wantWrite: boolean;
  eof: boolean;
}

const entries = new Map<number, Entry>();
const scratch = new Uint8Array(MAX_CHUNK_BYTES);
const wakeBuffer = new BigUint64Array(1);
let wakeFd = -1;
let posted: Int32Array | undefined;
let received = 0;
let caughtUp: (() => void) | undefined;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  self.postMessage(message, transfer ?? []);
}

function handle(message: ToWorker): void {
  switch (message.type) {
    case "init":
      wakeFd = message.wakeFd;
      posted = new Int32Array(message.posted);
      post({ type: "ready" });
      void loop();
      break;
    case "add":
      entries.set(message.id, { fd: message.fd, inFlight: 0, wantWrite: false, eof: false });
      break;
    case "remove": {
      const entry = entries.get(message.id);
      if (!entry) break;
      entries.delete(message.id);
      libc.close(entry.fd);
      break;
    }
    case "credit": {
      const entry = entries.get(message.id);
      if (entry) entry.inFlight = Math.max(0, entry.inFlight - message.bytes);
      break;
    }
    case "want-write": {
      const entry = entries.get(message.id);
      if (entry) entry.wantWrite = true;
      break;
    }
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  handle(event.data);
  received = (received + 1) | 0;
  if (caughtUp && !behind()) {
    const resume = caughtUp;
    caughtUp = undefined;
    resume();
  }
};

/** Some posted message has not been delivered yet (the counters wrap at 2^31). */
function behind(): boolean {
  return ((Atomics.load(posted!, 0) - received) | 0) > 0;
}

function reading(entry: Entry): boolean {
  return !entry.eof && entry.inFlight < READ_WINDOW_BYTES;
}

/** Reads what is ready (up to the credit left) and posts it; EIO or 0 is end of file. */
function drain(id: number, entry: Entry): void {
  const budget = Math.min(MAX_CHUNK_BYTES, READ_WINDOW_BYTES - entry.inFlight);
  let total = 0;
  let eof = false;
  while (total < budget) {
    const n = libc.read(entry.fd, scratch.subarray(total), budget - total);
    if (n > 0) {
      total += n;
      continue;
    }
    if (n < 0) {
      const code = errno();
      if (code === EINTR) continue;
      if (code === EAGAIN) break;
    }
    // 0, EIO (no slave holder left) or any other error: the output is over.
    eof = true;
    break;
  }
  if (total > 0) {
    entry.inFlight += total;
    const chunk = scratch.slice(0, total);
    post({ type: "data", id, chunk, stalled: entry.inFlight >= READ_WINDOW_BYTES }, [chunk.buffer]);
  }
  if (eof) {
    entry.eof = true;
    post({ type: "eof", id });
  }
}

async function loop(): Promise<void> {
  const ids: number[] = [];
  let fds = new Int32Array(16);
  for (;;) {
    if (behind()) {
      // A message is on its way: let the event loop deliver it before polling.
      await new Promise<void>((resolve) => (caughtUp = resolve));
      continue;
    }
    ids.length = 0;
    const needed = (entries.size + 1) * 2;
    if (fds.length < needed) fds = new Int32Array(needed * 2);
    const events = new Int16Array(fds.buffer);
    fds[0] = wakeFd;
    events[2] = POLLIN;
    for (const [id, entry] of entries) {
      const wanted = (reading(entry) ? POLLIN : 0) | (entry.wantWrite ? POLLOUT : 0);
      if (wanted === 0) continue; // not even POLLHUP: a stalled PTY must not spin the loop
      const slot = ids.push(id);
      fds[slot * 2] = entry.fd;
      events[slot * 4 + 2] = wanted;
      events[slot * 4 + 3] = 0;
    }
    events[3] = 0;
    const ready = libc.poll(fds, ids.length + 1, -1);
    if (ready < 0) {
      if (errno() === EINTR) continue;
      throw new Error(`poll failed: errno ${errno()}`);
    }
    if (events[3] !== 0) libc.read(wakeFd, wakeBuffer, 8);
    for (let slot = 1; slot <= ids.length; slot++) {
      const revents = events[slot * 4 + 3]!;
      if (revents === 0) continue;
      const id = ids[slot - 1]!;
      const entry = entries.get(id)!;
      if (entry.wantWrite && revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
        // On hangup the retry fails with EIO, which is the answer the writer needs.
        entry.wantWrite = false;
        post({ type: "writable", id });
      }
      if (reading(entry) && revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) drain(id, entry);
    }
  }
}
