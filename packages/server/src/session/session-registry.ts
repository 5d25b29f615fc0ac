import { ErrorCode, RpcError } from "@x/exec-protocol";
import type { ExitedLimits } from "./retention-budget.ts";
import { Session } from "./session.ts";

/** Every live session of the daemon, attached or detached, by id. */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly exitedRetentionMs: number,
    private readonly exitedLimits?: ExitedLimits,
  ) {}

  create(resumable: boolean): Session {
    const session = new Session(
      crypto.randomUUID(),
      resumable,
      this.exitedRetentionMs,
      (ended) => this.sessions.delete(ended.id),
      this.exitedLimits,
    );
    this.sessions.set(session.id, session);
    return session;
  }

  /** A detached session to take over: -32010 if attached elsewhere, -32600 if unknown or expired. */
  claim(id: string): Session {
    const session = this.require(id);
    if (session.attached) {
      throw new RpcError(ErrorCode.SessionAttached, `session ${id} is attached to another connection`);
    }
    return session;
  }

  require(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw RpcError.invalidRequest(`unknown or expired session ${id}`);
    return session;
  }

  /** Ends every session (daemon shutdown). */
  endAll(): void {
    for (const session of [...this.sessions.values()]) session.end();
  }
}
