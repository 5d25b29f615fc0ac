import { Unsupported, childEnv, type Interactive, type Target, type TargetSpec } from "./target.ts";

/** The physical limit: Bun reading the child itself, no server and no socket in between. */
export function inProcessTarget(spec: TargetSpec): Target {
  const env = childEnv();
  return {
    serverPid: undefined,
    async run() {
      if (!spec.tty) {
        const proc = Bun.spawn(spec.command, { env, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
        let bytes = 0;
        for await (const chunk of proc.stdout) bytes += chunk.length;
        await proc.exited;
        return bytes;
      }
      let bytes = 0;
      let ended!: () => void;
      const outputEnded = new Promise<void>((resolve) => (ended = resolve));
      const proc = Bun.spawn(spec.command, {
        env,
        terminal: { cols: 80, rows: 24, data: (_t, data) => (bytes += data.length), exit: () => ended() },
      });
      await Promise.all([proc.exited, outputEnded]);
      proc.terminal?.close();
      return bytes;
    },
    async interactive(onData): Promise<Interactive> {
      const proc = Bun.spawn(spec.command, {
        env,
        terminal: { cols: 80, rows: 24, data: (_t, data) => onData(data) },
      });
      return {
        write: (data) => proc.terminal!.write(data),
        close: async () => {
          proc.terminal?.close();
          await proc.exited;
        },
      };
    },
    runThrottled() {
      throw new Unsupported("in-process has no consumer to throttle");
    },
    async close() {},
  };
}
