/** A message or params object as protocol tests write them: loosely typed on purpose. */
export type Json = Record<string, any>;

export function b64(text: string | Uint8Array): string {
  return Buffer.from(text).toString("base64");
}

/** The environment test children get: enough to find the usual programs, nothing else. */
export const BASE_ENV = { PATH: "/usr/bin:/bin" };

/** A process/start params object with test defaults. */
export function startParams(processId: string, argv: string[], extra: Json = {}): Json {
  return { processId, argv, cwd: "/tmp", env: BASE_ENV, tty: false, arg0: null, ...extra };
}
