import { SIGNAL_NAMES } from "@x/exec-protocol";
import { z } from "zod";
import { defineTool } from "../tool.ts";

const EXIT_WAIT_MS = 5000;

export const killSession = defineTool({
  name: "kill_session",
  title: "Kill a session",
  description:
    "Kills a session's whole process tree (SIGKILL by default, or the given signal to its process group) " +
    "and waits up to 5 s for it to exit.",
  input: {
    session_id: z.number().int(),
    signal: z.enum(SIGNAL_NAMES).optional().describe("Send this signal instead of killing outright"),
  },
  output: {
    session_id: z.number().int(),
    was_running: z.boolean(),
    running: z.boolean().describe("Still running after the wait (a signal it ignores)"),
    exit_code: z.number().int().nullable(),
    signal: z.string().nullable().describe("The signal that ended it, if one did"),
  },
  async run(args, { sessions }) {
    const session = sessions.get(args.session_id);
    const process = session.process;
    const wasRunning = process.exitStatus === undefined;
    if (wasRunning) {
      if (args.signal === undefined) await process.terminate();
      else await process.signal(args.signal);
      await Promise.race([process.exited.catch(() => {}), Bun.sleep(EXIT_WAIT_MS)]);
    }
    const exit = process.exitStatus;
    const structured = {
      session_id: session.id,
      was_running: wasRunning,
      running: exit === undefined,
      exit_code: exit?.exitCode ?? null,
      signal: exit?.signal ?? null,
    };
    const outcome =
      exit === undefined
        ? `still running ${EXIT_WAIT_MS / 1000} s after ${args.signal}`
        : `${wasRunning ? "ended" : "had already ended"}: exit code ${exit.exitCode}${exit.signal ? ` (${exit.signal})` : ""}`;
    return { text: `Session ${session.id} ${outcome}`, structured };
  },
});
