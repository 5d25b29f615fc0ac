import type { WebCommand } from "./page-config.ts";

export type { WebCommand } from "./page-config.ts";

// The child sees only these of the daemon's variables: the page's user gets a
// usual shell, not the daemon's secrets (its token among them).
const PASSED_ON = ["HOME", "USER", "LOGNAME", "SHELL", "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];

/** `command` runs through `/bin/sh -c`; without it, the server user's login shell. */
export function webCommand(command: string | undefined, env: Record<string, string | undefined> = process.env): WebCommand {
  const childEnv: Record<string, string> = { TERM: "xterm-256color", COLORTERM: "truecolor" };
  for (const name of PASSED_ON) {
    const value = env[name];
    if (value !== undefined) childEnv[name] = value;
  }
  const argv = command === undefined ? [env.SHELL || "/bin/sh", "-l"] : ["/bin/sh", "-c", command];
  return { argv, cwd: env.HOME || "/", env: childEnv };
}
