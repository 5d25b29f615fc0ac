import { ExecServer } from "../exec-server.ts";
import { createLogger } from "../log.ts";
import { serveStdio } from "../transport/stdio.ts";
import { generateToken, removeTokenFile, tokenFilePath, writeTokenFile } from "../transport/token-file.ts";
import { claimSocketPath } from "../transport/unix-socket.ts";
import { listenWebSocket } from "../transport/websocket.ts";
import { buildPage } from "../web/page-bundle.ts";
import { webCommand } from "../web/web-command.ts";
import type { WebPage } from "../web/web-routes.ts";
import { VERSION } from "../version.ts";
import { parseCliOptions, USAGE, type CliOptions } from "./options.ts";

/** The `exec-server` command. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    process.stderr.write(`exec-server: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`exec-server ${VERSION}\n`);
    return 0;
  }
  const log = createLogger(options.logLevel);
  const server = new ExecServer(options.config, log);

  let stopListening: (() => Promise<void>) | undefined;
  const shutdown = async (signal: string) => {
    log.warn(`received ${signal}: killing ${server.manager.runningCount} processes, then exiting`);
    await stopListening?.();
    await server.shutdown();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  if (options.listen.kind === "stdio") {
    await serveStdio(server);
    await server.shutdown();
    return 0;
  }
  let page: WebPage | undefined;
  if (options.web) {
    try {
      page = { bundle: await buildPage(), command: webCommand(options.webCommand) };
    } catch (error) {
      process.stderr.write(`exec-server: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const target = options.listen;
  const where = target.kind === "unix" ? target.path : `${target.hostname}:${target.port}`;
  const token = options.generateToken ? generateToken() : options.token;
  let listener;
  try {
    if (target.kind === "unix") await claimSocketPath(target.path);
    listener = listenWebSocket(server, {
      ...(target.kind === "unix" ? { hostname: "", port: 0, unix: target.path } : target),
      token,
      allowedOrigins: options.allowedOrigins,
      page,
    });
  } catch (error) {
    process.stderr.write(`exec-server: cannot listen on ${where}: ${(error as Error).message}\n`);
    return 1;
  }
  let tokenFile: string | undefined;
  if (options.generateToken) {
    tokenFile = tokenFilePath(listener.port);
    try {
      writeTokenFile(tokenFile, token!);
    } catch (error) {
      log.warn(`cannot write the token file ${tokenFile}: ${(error as Error).message}`);
      tokenFile = undefined;
    }
    // Printed once; clients read it from the file afterwards.
    process.stderr.write(`exec-server token: ${token}${tokenFile ? ` (also in ${tokenFile}, mode 0600)` : ""}\n`);
  }
  const stop = listener.stop;
  stopListening = async () => {
    await stop();
    if (tokenFile) removeTokenFile(tokenFile);
  };
  process.stderr.write(`exec-server listening on ${listener.url}\n`);
  if (page) process.stderr.write(`terminal page at ${listener.url.replace(/^ws:/, "http:")}/\n`);
  await new Promise(() => {}); // serve until a signal
  return 0;
}
