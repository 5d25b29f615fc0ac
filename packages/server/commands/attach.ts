import { ExecServerClient, ExecServerError, type ProcessHandle } from "@x/exec-client";
import { ErrorCode } from "@x/exec-protocol";
import { CONNECT_USAGE, parseCommand, type ConnectArgs } from "./command-options.ts";
import { LocalTerminal } from "./local-terminal.ts";
import { streamProcess, writeDetachedHint, writeOut } from "./process-stream.ts";

export const ATTACH_USAGE = `Usage: exec-server attach URL --session S --process P [options]

Joins process P of session S on the exec-server at URL (ws://IP:PORT, or unix:///PATH): draws its
screen, then follows it. A session nobody holds (left with Ctrl-]) is taken
back; one that another client holds is shared with it.

Options:
  --session S          the session id (printed on detach; client.sessionId in the SDK)
  --process P          the process id in that session
  --read-only          watch: no keys, no resizes
${CONNECT_USAGE}
  -h, --help           show this help

Ctrl-] detaches; Ctrl-C goes to the process (in --read-only it leaves too).
`;

export async function main(argv: string[]): Promise<number> {
  const cli = parseCommand(
    "attach",
    ATTACH_USAGE,
    argv,
    {
      session: { type: "string" },
      process: { type: "string" },
      "read-only": { type: "boolean", default: false },
    },
    ({ values, positionals }) => {
      if (positionals.length !== 1) throw new Error("expected exactly one URL");
      if (values.session === undefined || values.process === undefined) throw new Error("--session and --process are required");
      return { sessionId: values.session, processId: values.process };
    },
  );
  if (typeof cli === "number") return cli;
  const { target } = cli;
  const { sessionId, processId } = cli.checked;
  const readOnly = cli.parsed.values["read-only"];
  const terminal = new LocalTerminal();
  let joined: Joined;
  try {
    joined = await join(target, sessionId, processId, readOnly);
  } catch (error) {
    process.stderr.write(`exec-server attach: ${(error as Error).message}\n`);
    return 1;
  }
  const { client, handle, shared } = joined;
  const tty = handle.tty && terminal.isTty;
  // A taken-back session may hold other processes: leave it as found, never end it here.
  const leave = () => (shared ? client.close() : client.detach()).catch(() => {});
  try {
    const end = await streamProcess({
      client,
      handle,
      sessionId: shared ? sessionId : undefined,
      terminal,
      tty,
      input: !readOnly,
      snapshot: true,
    });
    if (end.kind === "detached") {
      await writeDetachedHint(target.url, sessionId, processId);
    }
    await leave();
    if (end.kind === "lost") {
      await writeOut("stderr", `exec-server attach: ${end.message}\n`);
      return 1;
    }
    return end.kind === "exited" ? end.exitCode : 0;
  } catch (error) {
    await writeOut("stderr", `exec-server attach: ${(error as Error).message}\n`);
    await leave();
    return 1;
  }
}

interface Joined {
  readonly client: ExecServerClient;
  readonly handle: ProcessHandle;
  /** Followed through process/attach (another client holds the session), not taken back. */
  readonly shared: boolean;
}

/** Takes the session back when nobody holds it (so it stays alive), else attaches beside its holder. */
async function join(target: ConnectArgs, sessionId: string, processId: string, readOnly: boolean): Promise<Joined> {
  const options = { ...target, clientName: "exec-server attach", resume: true } as const;
  if (!readOnly) {
    try {
      const client = await ExecServerClient.connectWebSocket({ ...options, resumeSessionId: sessionId });
      const info = (await client.list()).find((candidate) => candidate.processId === processId);
      if (!info) {
        await client.detach();
        throw new Error(`session ${sessionId} has no process ${processId}`);
      }
      return { client, handle: client.adopt(processId, { tty: info.tty }), shared: false };
    } catch (error) {
      if (!(error instanceof ExecServerError && error.code === ErrorCode.SessionAttached)) throw error;
    }
  }
  const client = await ExecServerClient.connectWebSocket(options);
  try {
    const handle = await client.attach({ sessionId, processId, mode: readOnly ? "read" : "write", afterSeq: 0 });
    return { client, handle, shared: true };
  } catch (error) {
    await client.close();
    throw error;
  }
}
