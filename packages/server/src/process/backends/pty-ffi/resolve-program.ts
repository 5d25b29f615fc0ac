import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";

function systemError(code: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(message);
  error.code = code;
  return error;
}

/**
 * The file `argv0` runs, as execvp would find it: a name with a slash is a path
 * from `cwd`, anything else is looked up in `PATH`. `setsid` can report a failed
 * exec only through its exit status, so the spawn checks up front and throws the
 * same errors the other backends get from the OS.
 */
export function resolveProgram(argv0: string, cwd: string, path: string | undefined): string {
  if (!argv0.includes("/")) {
    const found = Bun.which(argv0, { PATH: path ?? process.env.PATH ?? "/usr/bin:/bin", cwd });
    if (found === null) throw systemError("ENOENT", `Executable not found in $PATH: ${JSON.stringify(argv0)}`);
    return found;
  }
  const file = resolve(cwd, argv0);
  try {
    accessSync(file, constants.X_OK);
  } catch (error) {
    throw systemError((error as NodeJS.ErrnoException).code ?? "EACCES", `cannot execute ${JSON.stringify(file)}`);
  }
  if (!statSync(file).isFile()) throw systemError("EACCES", `not a regular file: ${JSON.stringify(file)}`);
  return file;
}
