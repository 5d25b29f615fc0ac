import type { ProcessHandle } from "@x/exec-client";
import { ToolFailure } from "./tool-failure.ts";

/** One process an agent started with exec_command and may come back to. */
export interface Session {
  readonly id: number;
  readonly process: ProcessHandle;
  readonly command: string;
  readonly tty: boolean;
  readonly workdir: string;
  readonly startedAt: Date;
}

/**
 * Exited sessions kept for list_sessions and a last read; older ones are forgotten.
 * Running sessions are bounded by the exec server's per-connection process limit.
 */
export const MAX_EXITED_SESSIONS = 64;

const KILL_WAIT_MS = 5000;

/** Sessions by the small numbers agents pass around as `session_id`. */
export class SessionTable {
  private nextId = 1;
  private readonly sessions = new Map<number, Session>();
  private readonly turns = new Map<number, Promise<unknown>>();

  add(process: ProcessHandle, info: Omit<Session, "id" | "process" | "startedAt">): Session {
    const session: Session = { id: this.nextId++, process, startedAt: new Date(), ...info };
    this.sessions.set(session.id, session);
    this.forgetOldExited();
    return session;
  }

  get(id: number): Session {
    const session = this.sessions.get(id);
    if (session) return session;
    const known = [...this.sessions.keys()];
    const hint = known.length === 0 ? "there are no sessions" : `sessions are ${known.join(", ")}`;
    throw new ToolFailure(`no session ${id}: ${hint} (exec_command returns a session_id only while its command runs)`);
  }

  /**
   * Runs `work` after every earlier call on the same session has finished: an
   * agent may send calls concurrently, and a session's windows share one cursor.
   */
  exclusive<T>(session: Session, work: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(session.id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    this.turns.set(session.id, settled);
    void settled.then(() => {
      if (this.turns.get(session.id) === settled) this.turns.delete(session.id);
    });
    return next;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  /** Kills every running session's process tree and waits for the exits. */
  async killAll(): Promise<void> {
    await Promise.all(
      this.list()
        .filter((session) => session.process.exitStatus === undefined)
        .map(async ({ process }) => {
          await process.terminate().catch(() => {});
          await Promise.race([process.exited.catch(() => {}), Bun.sleep(KILL_WAIT_MS)]);
        }),
    );
  }

  private forgetOldExited(): void {
    const exited = this.list().filter((session) => session.process.exitStatus !== undefined);
    for (const session of exited.slice(0, Math.max(0, exited.length - MAX_EXITED_SESSIONS))) {
      this.sessions.delete(session.id);
      this.turns.delete(session.id);
    }
  }
}
