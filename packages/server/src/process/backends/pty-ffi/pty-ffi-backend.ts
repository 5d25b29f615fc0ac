import type { ChildHandle, ProcessBackend, SpawnSpec } from "../backend.ts";
import { exitStatusOf, killGroup, SpawnError, spawnErrorFor } from "../backend.ts";
import { libc, openPty, setWindowSize } from "./libc.ts";
import { PtyInput } from "./pty-input.ts";
import { PtyOutput } from "./pty-output.ts";
import { PtyReader } from "./pty-reader.ts";
import { resolveProgram } from "./resolve-program.ts";

/** The terminal's default VEOF character (Ctrl-D). */
const VEOF = new Uint8Array([0x04]);

let setsidPath: string | null | undefined;
let perlPath: string | null | undefined;

/** `exec {PATH} ARG0, ARGS`: an execve with another argv[0] and nothing else changed (env, fds, pid). */
const EXEC_WITH_ARG0 = "exec { shift @ARGV } @ARGV or exit 127";

/**
 * The command line that runs the child on the slave: util-linux `setsid --ctty`
 * makes it a session leader with the PTY as controlling terminal and then execs,
 * so the pid stays the child's. `setsid` cannot set argv[0]; when `arg0` asks
 * for another one, perl (essential on Debian) does the final exec.
 */
function commandLine(spec: SpawnSpec): string[] {
  const argv0 = spec.argv[0]!;
  setsidPath ??= Bun.which("setsid") ?? null;
  if (setsidPath === null) throw new SpawnError(`failed to spawn ${JSON.stringify(argv0)}: setsid (util-linux) not found`);
  // Resolved up front for a clear spawn error; setsid's own execvp finds the same file in env.PATH.
  const program = resolveProgram(argv0, spec.cwd, spec.env.PATH);
  if (spec.arg0 === undefined || spec.arg0 === argv0) return [setsidPath, "--ctty", "--", ...spec.argv];
  perlPath ??= Bun.which("perl") ?? null;
  if (perlPath === null) throw new SpawnError(`failed to spawn ${JSON.stringify(argv0)}: arg0 needs perl, not found`);
  return [setsidPath, "--ctty", "--", perlPath, "-e", EXEC_WITH_ARG0, program, spec.arg0, ...spec.argv.slice(1)];
}

/**
 * PTY children on a pair from `openpty` through `bun:ffi`. One shared worker
 * polls every master and reads only while the consumer has credit, so output
 * has real backpressure: a consumer that stops pulling blocks the child.
 * Writes go straight to the non-blocking master, queued on EAGAIN.
 */
export const ptyFfiBackend: ProcessBackend = {
  name: "pty-ffi",
  async prepare() {
    try {
      await PtyReader.ready();
    } catch (error) {
      throw new SpawnError(`cannot start a PTY (--pty-backend ffi): ${(error as Error).message}`);
    }
  },
  spawn(spec: SpawnSpec): ChildHandle {
    const argv0 = spec.argv[0]!;
    let command: string[];
    try {
      command = commandLine(spec);
    } catch (error) {
      throw error instanceof SpawnError ? error : spawnErrorFor(argv0, error);
    }
    let pty: { master: number; slave: number };
    let reader: PtyReader;
    try {
      reader = PtyReader.get();
      pty = openPty(spec.cols, spec.rows);
    } catch (error) {
      throw spawnErrorFor(argv0, error);
    }
    const { master, slave } = pty;
    let proc: Bun.Subprocess;
    try {
      proc = Bun.spawn(command, { cwd: spec.cwd, env: { ...spec.env }, stdio: [slave, slave, slave] });
    } catch (error) {
      libc.close(master);
      throw spawnErrorFor(argv0, error);
    } finally {
      // The child has its copies; ours would keep the slave open and EOF would never come.
      libc.close(slave);
    }

    /** Set once the master is no longer ours to touch. */
    let closed = false;
    const registration = reader.register(master, {
      onData: (chunk, stalled) => output.push(chunk, stalled),
      onEof: () => output.end(),
      onWritable: () => input.onWritable(),
      onLost: (error) => {
        closed = true;
        input.close(error);
        output.end();
      },
    });
    const output = new PtyOutput((bytes) => registration.credit(bytes));
    const input = new PtyInput(master, () => registration.wantWrite());

    return {
      pid: proc.pid,
      outputs: [output],
      exited: exitStatusOf(proc),
      get acceptsInput() {
        return input.open;
      },
      write: (data) => input.write(data),
      closeStdin: () => input.write(VEOF),
      resize(cols, rows) {
        // Once closed, the fd number may already belong to another PTY.
        if (!closed) setWindowSize(master, cols, rows);
      },
      signalGroup(signal) {
        killGroup(proc.pid, signal);
      },
      dispose() {
        if (closed) return;
        closed = true;
        input.close(new Error("terminal is closed"));
        registration.remove();
        output.end();
      },
    };
  },
};
