import type { TSchema } from "typebox";

/** A request method is a value: its name, its params schema and its result schema. */
export interface MethodSpec<P extends TSchema = TSchema, R extends TSchema = TSchema> {
  readonly params: P;
  readonly result: R;
  /** Callable before the initialize/initialized handshake completes. */
  readonly beforeHandshake?: boolean;
}

export function method<P extends TSchema, R extends TSchema>(
  params: P,
  result: R,
  beforeHandshake = false,
): MethodSpec<P, R> {
  return { params, result, beforeHandshake };
}
