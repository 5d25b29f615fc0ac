import { z } from "zod";
import { defineTool } from "../tool.ts";

export const listSessions = defineTool({
  name: "list_sessions",
  title: "List sessions",
  description: "Lists the sessions started with exec_command that were still running when it returned, running or exited since.",
  input: {},
  output: {
    sessions: z.array(
      z.object({
        session_id: z.number().int(),
        command: z.string(),
        workdir: z.string(),
        tty: z.boolean(),
        running: z.boolean(),
        exit_code: z.number().int().nullable(),
        pid: z.number().int().nullable(),
        started_at: z.string().describe("ISO 8601"),
      }),
    ),
  },
  async run(_args, { sessions }) {
    const rows = sessions.list().map((session) => {
      const exit = session.process.exitStatus;
      return {
        session_id: session.id,
        command: session.command,
        workdir: session.workdir,
        tty: session.tty,
        running: exit === undefined,
        exit_code: exit?.exitCode ?? null,
        pid: session.process.pid ?? null,
        started_at: session.startedAt.toISOString(),
      };
    });
    const lines = rows.map(
      (row) =>
        `${row.session_id}\t${row.running ? "running" : `exited ${row.exit_code}`}\t${row.tty ? "tty" : "pipes"}\t${row.command}`,
    );
    const text = rows.length === 0 ? "No sessions" : `session\tstate\tio\tcommand\n${lines.join("\n")}`;
    return { text, structured: { sessions: rows } };
  },
});
