import type { ChildHandle, ProcessBackend, SpawnSpec } from "./backend.ts";
import { exitStatusOf, killGroup, spawnErrorFor } from "./backend.ts";
import { ChunkQueue } from "./chunk-queue.ts";

/** The terminal's default VEOF character (Ctrl-D). */
const VEOF = new Uint8Array([0x04]);

/**
 * PTY children through Bun's built-in `terminal` spawn option. The child is a
 * session leader with the PTY as its controlling terminal. Bun offers no way to
 * pause reading, so output is pushed: the process layer bounds what it keeps.
 * The terminal's `exit` callback is end of output, not process exit.
 */
export const ptyNativeBackend: ProcessBackend = {
  name: "pty-native",
  spawn(spec: SpawnSpec): ChildHandle {
    const output = new ChunkQueue();
    let proc: Bun.Subprocess;
    try {
      proc = Bun.spawn([...spec.argv], {
        cwd: spec.cwd,
        env: { ...spec.env },
        argv0: spec.arg0,
        terminal: {
          cols: spec.cols,
          rows: spec.rows,
          data: (_terminal, data) => output.push(data),
          exit: () => output.end(),
        },
      });
    } catch (error) {
      throw spawnErrorFor(spec.argv[0]!, error);
    }
    const terminal = proc.terminal!;
    const exited = exitStatusOf(proc);
    const write = async (data: Uint8Array) => {
      if (terminal.closed) throw new Error("terminal is closed");
      terminal.write(data);
    };
    return {
      pid: proc.pid,
      // The terminal's fd is released by close() in dispose().
      outputs: [{ stream: "pty", backpressure: false, read: () => output.read(), cancel: () => output.end() }],
      exited,
      get acceptsInput() {
        return !terminal.closed;
      },
      write,
      closeStdin: () => write(VEOF),
      resize(cols, rows) {
        terminal.resize(cols, rows);
      },
      signalGroup(signal) {
        killGroup(proc.pid, signal);
      },
      dispose() {
        if (!terminal.closed) terminal.close();
        output.end();
      },
    };
  },
};
