import { type MachineMethodName, type ParamsOf, type ResultOf } from "@x/exec-protocol";
import type { ServerConfig } from "../config.ts";
import { environmentInfo } from "../environment/environment-info.ts";
import { FsHandler } from "../fs/fs-handler.ts";
import type { FsRoots } from "../fs/fs-roots.ts";
import { HttpRequests } from "../http/http-requests.ts";
import type { LiveSink } from "../process/output/live-sink.ts";

/**
 * The machine methods of one connection (fs/*, environment/info, http/request),
 * apart from the process methods: the ExecHandler hands them here after the
 * handshake and closes this with the connection.
 */
export class MachineHandler {
  readonly fs: FsHandler;
  private readonly http: HttpRequests;
  constructor(
    config: ServerConfig,
    private readonly roots: FsRoots,
    sink: LiveSink,
  ) {
    this.fs = new FsHandler(this.roots, sink, config.maxMessageBytes);
    this.http = new HttpRequests(sink);
  }

  call<M extends MachineMethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> | ResultOf<M> {
    if (method === "environment/info") return environmentInfo(this.roots.roots) as ResultOf<M>;
    if (method === "http/request") return this.http.request(params as ParamsOf<"http/request">) as Promise<ResultOf<M>>;
    const impl = this.fs.methods[method as keyof FsHandler["methods"]] as (p: ParamsOf<M>) => Promise<ResultOf<M>> | ResultOf<M>;
    return impl(params);
  }

  close(): void {
    this.http.close();
    this.fs.close().catch(() => {}); // best effort: the connection is gone either way
  }
}
