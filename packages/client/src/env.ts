/**
 * The server gives a child exactly the environment in the request and inherits
 * nothing itself, so the client sends its own by default, like a local spawn would.
 */
export function currentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (typeof value === "string") env[name] = value;
  }
  return env;
}
