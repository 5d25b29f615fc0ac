import { ExecServerClient, ExecServerError, type ProcessHandle, type WebSocketConnectOptions } from "@x/exec-client";
import { fetchTicket, loadConfig, type PageConfig } from "./credentials.ts";
import { socketUrl } from "./socket-url.ts";
import { TerminalView } from "./terminal-view.ts";

/** The page's own process in its session. */
const PROCESS_ID = "web-terminal";
/** This tab's session, so a reload takes it back (sessionStorage: per tab, gone with it). */
const SESSION_KEY = "exec-server.session";
const SESSION_ATTACHED = -32010;
const SCROLLBACK_LINES = 1000;

type Connect = (extra: Partial<WebSocketConnectOptions>) => Promise<ExecServerClient>;

interface Target {
  readonly processId: string;
  /** Set when the process belongs to another session (`?attach=`). */
  readonly sessionId?: string;
}

const view = new TerminalView(byId("terminal"), byId("state"));
/** Where the drawing is: the seq of the last chunk drawn, and how often the next one was not the seq after it. */
const drawn = { lastSeq: 0, seqBreaks: 0 };
// For tests, benchmarks and debugging from the console.
Object.assign(globalThis, { execServerPage: { term: view.term, drawn } });

void start().catch((error: unknown) => {
  view.setState("error", `error: ${(error as Error).message}`);
});

async function start(): Promise<void> {
  const config = await loadConfig(byId("login") as HTMLFormElement, byId("token") as HTMLInputElement);
  const connect: Connect = (extra) =>
    ExecServerClient.connectWebSocket({
      url: socketUrl(location),
      clientName: "exec-server web page",
      resume: true,
      ...(config.tokenRequired && { ticket: fetchTicket }),
      ...extra,
    });
  const attach = new URLSearchParams(location.search).get("attach");
  if (attach !== null) await runAttached(connect, attach);
  else await runOwn(connect, config);
}

/** The page's own shell: started once per tab, taken back after a reload. */
async function runOwn(connect: Connect, config: PageConfig): Promise<void> {
  const target: Target = { processId: PROCESS_ID };
  const saved = sessionStorage.getItem(SESSION_KEY);
  if (saved !== null) {
    const client = await resumeSession(connect, saved);
    if (client) {
      follow(client, target, true);
      const handle = client.adopt(PROCESS_ID, { tty: true });
      const snapshot = await handle.snapshot({ serialize: true, scrollback: SCROLLBACK_LINES });
      await paintSnapshot(snapshot);
      drawOutput(handle, snapshot.seq);
      if (snapshot.running) {
        wireInput(handle, true);
        view.setState("open");
      } else view.setState("exited", `exited with code ${snapshot.exitCode}`);
      return;
    }
  }
  const client = await connect({});
  follow(client, target, true);
  const { term } = view;
  const { argv, cwd, env } = config.command;
  const handle = await client.start({ processId: PROCESS_ID, argv, cwd, env, tty: true, cols: term.cols, rows: term.rows });
  drawOutput(handle, 0);
  sessionStorage.setItem(SESSION_KEY, client.sessionId!);
  wireInput(handle, true);
  view.setState("open");
}

/** `?attach=SESSION/PROCESS&mode=read|write`: watch or share another client's process. */
async function runAttached(connect: Connect, attach: string): Promise<void> {
  const slash = attach.indexOf("/");
  if (slash <= 0) throw new Error("?attach= wants SESSION/PROCESS");
  const target: Target = { sessionId: attach.slice(0, slash), processId: attach.slice(slash + 1) };
  const mode = new URLSearchParams(location.search).get("mode") === "write" ? "write" : "read";
  const client = await connect({});
  follow(client, target, false);
  const handle = await client.attach({ sessionId: target.sessionId!, processId: target.processId, mode, afterSeq: 0 });
  const snapshot = await handle.snapshot({ serialize: true, scrollback: SCROLLBACK_LINES });
  await paintSnapshot(snapshot);
  drawOutput(handle, snapshot.seq);
  document.title = `${mode === "read" ? "watching" : "sharing"} ${target.processId}`;
  if (mode === "write") wireInput(handle, false);
  else view.term.options.disableStdin = true;
  if (snapshot.running) view.setState("open", mode === "read" ? "open (watching)" : "open (sharing)");
  else view.setState("exited", `exited with code ${snapshot.exitCode}`);
}

/** Takes the tab's session back; undefined when it is gone (expired, or the server restarted). */
async function resumeSession(connect: Connect, sessionId: string): Promise<ExecServerClient | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect({ resumeSessionId: sessionId });
    } catch (error) {
      // The previous page's socket may not be noticed closed yet.
      if (error instanceof ExecServerError && error.code === SESSION_ATTACHED && attempt < 10) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      sessionStorage.removeItem(SESSION_KEY);
      return undefined;
    }
  }
}

function follow(client: ExecServerClient, target: Target, own: boolean): void {
  const mine = (event: { processId: string; sessionId?: string }) =>
    event.processId === target.processId && event.sessionId === target.sessionId;
  let exited = false;
  client.on("exited", (event) => {
    if (!mine(event)) return;
    exited = true;
    if (own) sessionStorage.removeItem(SESSION_KEY);
    view.setState("exited", event.signal ? `exited on ${event.signal}` : `exited with code ${event.exitCode}`);
  });
  client.on("reconnecting", () => exited || view.setState("reconnecting"));
  client.on("reconnect", () => exited || view.setState("open"));
  client.on("disconnect", (error) => exited || view.setState("closed", `disconnected: ${error.message}`));
}

/** Clears the screen and draws the rendered screen (and scrollback) as of `snapshot.seq`. */
async function paintSnapshot(snapshot: Awaited<ReturnType<ProcessHandle["snapshot"]>>): Promise<void> {
  const { term } = view;
  term.reset();
  if (snapshot.screen) term.resize(snapshot.screen.cols, snapshot.screen.rows);
  await view.write(snapshot.serialized ?? "");
  drawn.lastSeq = snapshot.seq;
}

/**
 * Draws the process's output after `afterSeq`, each chunk once and in order, across
 * resumes, until its output is closed. The handle holds what came before we got here
 * (before the snapshot was drawn, or before the start answer); xterm.js takes every
 * write at once, so holding it for us costs nothing.
 */
function drawOutput(handle: ProcessHandle, afterSeq: number): void {
  void (async () => {
    for await (const chunk of handle.output({ afterSeq, holdIdleMs: Number.POSITIVE_INFINITY })) {
      if (chunk.seq !== drawn.lastSeq + 1) drawn.seqBreaks++;
      drawn.lastSeq = chunk.seq;
      view.term.write(chunk.data);
    }
  })().catch(() => {}); // a connection lost for good: the "disconnect" event shows it
}

/** Keys to the process; with `resize`, the window size too. */
function wireInput(handle: ProcessHandle, resize: boolean): void {
  const { term } = view;
  const send = (data: string | Uint8Array) => void handle.write(data).catch(() => {});
  term.onData(send);
  term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
  if (!resize) return;
  term.onResize(({ cols, rows }) => void handle.resize(cols, rows).catch(() => {}));
  view.fitToWindow();
  void handle.resize(term.cols, term.rows).catch(() => {});
}

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}
