import { ExecServerClient, type ClientOptions } from "./client.ts";
import { importServer } from "./local-server.ts";

export interface InProcessOptions extends ClientOptions {
  /** Server settings (`ServerConfig` of `exec-server`); clients that pass none share one server per process. */
  readonly config?: object;
  /** A `Logger` of `exec-server`; default silent. */
  readonly log?: object;
}

/**
 * A client whose server runs in this process (the `exec-server` package, an
 * optional peer dependency): requests reach the server's connection without
 * JSON. Closing the client kills its processes and waits until they have exited.
 */
export async function connectInProcess(options: InProcessOptions = {}): Promise<ExecServerClient> {
  const { createInProcessTransport } = await importServer();
  const { config, log, ...clientOptions } = options;
  const transport = createInProcessTransport({
    ...(config !== undefined && { config }),
    ...(log !== undefined && { log }),
  });
  return ExecServerClient.connectTransport(transport, clientOptions);
}
