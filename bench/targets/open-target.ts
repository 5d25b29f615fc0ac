import { execServerTarget } from "./exec-server.ts";
import { execServerSdkTarget } from "./exec-server-sdk.ts";
import { inProcessTarget } from "./in-process.ts";
import { kernelTarget } from "./kernel.ts";
import { nodePtyTarget, terminadoTarget, websocketdTarget } from "./peers.ts";
import { Unsupported, type Target, type TargetSpec } from "./target.ts";

export function openTarget(spec: TargetSpec): Promise<Target> {
  switch (spec.kind) {
    case "in-process":
      return Promise.resolve(inProcessTarget(spec));
    case "exec-server-ws":
    case "exec-server-stdio":
      return execServerTarget(spec);
    case "exec-server-sdk":
      return execServerSdkTarget(spec);
    case "node-pty-ws":
      return nodePtyTarget(spec);
    case "websocketd":
      return websocketdTarget(spec);
    case "terminado":
      return terminadoTarget(spec);
    case "kernel-devnull":
    case "kernel-pipe":
      return Promise.resolve(kernelTarget(spec.command, spec.kind === "kernel-pipe"));
    case "exec-server-web":
    case "exec-server-sdk":
      return Promise.reject(new Unsupported(`${spec.kind} is measured by the page-echo workload only`));
  }
}
