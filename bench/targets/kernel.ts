import { statSync } from "node:fs";
import { Unsupported, type Target } from "./target.ts";

/**
 * The kernel's own rate for `cat FILE`: straight into /dev/null, or through one
 * pipe into a second `cat`. No user-space reader counts the bytes, so the file
 * size is what was moved.
 */
export function kernelTarget(command: string[], throughPipe: boolean): Target {
  const file = command.at(-1)!;
  const bytes = statSync(file).size;
  return {
    serverPid: undefined,
    async run() {
      const argv = throughPipe ? ["sh", "-c", '"$@" | cat > /dev/null', "sh", ...command] : command;
      const proc = Bun.spawn(argv, { stdin: "ignore", stdout: Bun.file("/dev/null"), stderr: "inherit" });
      const code = await proc.exited;
      if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code}`);
      return bytes;
    },
    interactive() {
      throw new Unsupported("kernel baseline is not interactive");
    },
    runThrottled() {
      throw new Unsupported("kernel baseline has no consumer");
    },
    async close() {},
  };
}
