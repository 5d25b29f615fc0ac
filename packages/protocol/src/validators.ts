import { Compile, type Validator } from "typebox/compile";
import type { TLocalizedValidationError } from "typebox/error";
import { Methods, type MethodName, type ParamsOf } from "./methods.ts";
import { RpcError } from "./rpc-error.ts";

// Compiled once at module load: compiled checks run millions per second.
const paramValidators = Object.fromEntries(
  Object.entries(Methods).map(([name, spec]) => [name, Compile(spec.params)]),
) as Record<MethodName, Validator>;

/** A short, human sentence for the first few validation errors. */
export function describeErrors(errors: readonly TLocalizedValidationError[]): string {
  return errors
    .slice(0, 3)
    .map((error) => `${error.instancePath === "" ? "params" : error.instancePath.slice(1)} ${error.message}`)
    .join("; ");
}

/** Validates params of a known method, throwing -32602 with the validator's errors in `data`. */
export function parseParams<M extends MethodName>(method: M, params: unknown): ParamsOf<M> {
  const validator = paramValidators[method];
  const value = params === undefined ? {} : params;
  if (validator.Check(value)) return value as ParamsOf<M>;
  const errors = validator.Errors(value).slice(0, 10);
  throw RpcError.invalidParams(`invalid params for ${method}: ${describeErrors(errors)}`, {
    errors: errors.map(({ instancePath, message }) => ({ path: instancePath, message })),
  });
}
