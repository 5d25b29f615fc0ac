import { ExecServerClient } from "@x/exec-client";
import { CONNECT_USAGE, parseCommand } from "./command-options.ts";
import { LocalTerminal } from "./local-terminal.ts";
import { streamProcess, writeDetachedHint, writeOut } from "./process-stream.ts";

export const RUN_USAGE = `Usage: exec-server run URL [options] -- CMD [ARGS...]

Runs CMD on the exec-server at URL (ws://IP:PORT, or unix:///PATH) with this terminal, like
\`docker exec -it\`, and exits with its exit code.

Options:
  -t, --tty            give it a PTY: raw keys (Ctrl-C included), window size follows
                       (default when stdin is a terminal)
  -T, --no-tty         pipes instead: stdout and stderr apart, Ctrl-C is sent as SIGINT
  --cwd DIR            working directory on the server (default: this one)
${CONNECT_USAGE}
  -h, --help           show this help

Ctrl-] detaches (with a PTY): the process goes on in its session, which the server
keeps for --detached-session-ttl; \`exec-server attach\` (the line printed) takes it back.
`;

/** `exec-server run`. Returns the exit code: the process's, or 2 for bad usage, 1 for errors. */
export async function main(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  if (split === -1 && !argv.includes("-h") && !argv.includes("--help")) {
    process.stderr.write(`exec-server run: put the command after --\n\n${RUN_USAGE}`);
    return 2;
  }
  const command = split === -1 ? [] : argv.slice(split + 1);
  const cli = parseCommand(
    "run",
    RUN_USAGE,
    split === -1 ? argv : argv.slice(0, split),
    {
      tty: { type: "boolean", short: "t" },
      "no-tty": { type: "boolean", short: "T" },
      cwd: { type: "string" },
    },
    ({ positionals }) => {
      if (positionals.length !== 1) throw new Error("expected exactly one URL before --");
      if (command.length === 0) throw new Error("no command after --");
    },
  );
  if (typeof cli === "number") return cli;
  const { target } = cli;
  const { values } = cli.parsed;
  const terminal = new LocalTerminal();
  const tty = values["no-tty"] ? false : (values.tty ?? terminal.isTty);

  let client: ExecServerClient;
  try {
    client = await ExecServerClient.connectWebSocket({ ...target, clientName: "exec-server run", resume: true });
  } catch (error) {
    process.stderr.write(`exec-server run: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const handle = await client.start({
      argv: command,
      cwd: values.cwd,
      tty,
      ...(tty ? terminal.size() : { pipeStdin: true }),
    });
    const end = await streamProcess({ client, handle, terminal, tty: tty && terminal.isTty, input: true, snapshot: false });
    if (end.kind === "detached") {
      await writeDetachedHint(target.url, client.sessionId!, handle.id);
      await client.detach(); // close() would end the session's processes
      return 0;
    }
    if (end.kind === "lost") {
      await writeOut("stderr", `exec-server run: ${end.message}\n`);
      await client.close().catch(() => {});
      return 1;
    }
    await client.close();
    return end.exitCode;
  } catch (error) {
    await writeOut("stderr", `exec-server run: ${(error as Error).message}\n`);
    await client.close();
    return 1;
  }
}
