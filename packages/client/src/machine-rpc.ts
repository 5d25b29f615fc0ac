import type { MethodName, ParamsOf, ResultOf } from "@x/exec-protocol";

/** The typed request path client.fs and client.fetch use: the client's own. */
export interface MachineRpc {
  request<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
}
