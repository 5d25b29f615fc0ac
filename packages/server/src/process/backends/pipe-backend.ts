import type { ChildHandle, OutputSource, ProcessBackend, SpawnSpec } from "./backend.ts";
import { exitStatusOf, killGroup, spawnErrorFor } from "./backend.ts";
import type { OutputStream } from "@x/exec-protocol";

/**
 * Pipe-backed children through Bun.spawn. `lazy` keeps Bun from reading ahead, so
 * a reader that stops pulling lets the kernel pipe fill and the child block: that
 * is the backpressure. `detached` gives the child its own session and process
 * group, so signals reach its descendants.
 */
export const pipeBackend: ProcessBackend = {
  name: "pipe",
  spawn(spec: SpawnSpec): ChildHandle {
    let proc: Bun.Subprocess<"pipe" | "ignore", "pipe", "pipe">;
    try {
      proc = Bun.spawn([...spec.argv], {
        cwd: spec.cwd,
        env: { ...spec.env },
        argv0: spec.arg0,
        stdin: spec.pipeStdin ? "pipe" : "ignore",
        stdout: "pipe",
        stderr: "pipe",
        lazy: true,
        detached: true,
      });
    } catch (error) {
      throw spawnErrorFor(spec.argv[0]!, error);
    }
    const stdin = spec.pipeStdin ? (proc.stdin as Bun.FileSink) : undefined;
    let stdinOpen = stdin !== undefined;
    const exited = exitStatusOf(proc);
    return {
      pid: proc.pid,
      outputs: [streamSource("stdout", proc.stdout), streamSource("stderr", proc.stderr)],
      exited,
      get acceptsInput() {
        return stdinOpen;
      },
      async write(data) {
        if (!stdin || !stdinOpen) throw new Error("stdin is closed");
        stdin.write(data);
        await stdin.flush();
      },
      async closeStdin() {
        if (!stdin || !stdinOpen) return;
        stdinOpen = false;
        await stdin.end();
      },
      resize() {
        throw new Error("not a terminal");
      },
      signalGroup(signal) {
        killGroup(proc.pid, signal);
      },
      dispose() {
        if (stdin && stdinOpen) {
          stdinOpen = false;
          void Promise.resolve(stdin.end()).catch(() => {});
        }
      },
    };
  },
};

function streamSource(stream: OutputStream, readable: ReadableStream<Uint8Array>): OutputSource {
  const reader = readable.getReader();
  return {
    stream,
    backpressure: true,
    async read() {
      const { done, value } = await reader.read();
      return done ? null : value;
    },
    cancel() {
      void reader.cancel().catch(() => {});
    },
  };
}
