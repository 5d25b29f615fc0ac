import { realpathSync } from "node:fs";
import { readlink, realpath } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ErrorCode, RpcError } from "@x/exec-protocol";
import { osError, toRpcError } from "./os-error.ts";

/**
 * The trees `--fs-root` confines fs methods, process cwd and watches to. Empty:
 * no confinement. A path is inside when its real location is: `..` is removed
 * lexically first, then symlinks are resolved through the nearest existing
 * ancestor, so neither `..` nor a symlink (absolute, relative or a chain) leads
 * out. Opened files are checked again through /proc/self/fd, which closes the
 * window of a directory swapped for a symlink between the check and the open.
 */
export class FsRoots {
  readonly roots: readonly string[];

  constructor(roots: readonly string[]) {
    this.roots = roots.map((root) => realpathSync(root));
  }

  get confined(): boolean {
    return this.roots.length > 0;
  }

  contains(realPath: string): boolean {
    if (!this.confined) return true;
    return this.roots.some((root) => {
      const rel = relative(root, realPath);
      return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
    });
  }

  /**
   * Throws -32041 unless `path` (absolute, normalized) is inside a root.
   * `followFinal` false checks the link itself (lstat, remove, rename), not where it points.
   * Returns the real path when following.
   */
  async check(path: string, followFinal: boolean, shown: string): Promise<string> {
    if (!this.confined) return path;
    const real = followFinal ? await realOfNearest(path) : join(await realOfNearest(dirname(path)), basename(path));
    if (!this.contains(real)) throw outside(shown);
    return real;
  }

  /** Checks where an open descriptor really points (after a possible swap). */
  async checkFd(fd: number, shown: string): Promise<void> {
    if (!this.confined) return;
    let target: string;
    try {
      target = await readlink(`/proc/self/fd/${fd}`);
    } catch {
      return; // no procfs: the path check before the open stands alone
    }
    if (!this.contains(target)) throw outside(shown);
  }
}

function outside(shown: string): RpcError {
  return new RpcError(ErrorCode.OutsideFsRoot, `${shown} is outside the server's --fs-root trees`, { path: shown });
}

const MAX_LINK_HOPS = 40;

/**
 * realpath of the path's nearest existing ancestor, with the missing tail
 * appended. A dangling symlink is followed by hand: writing through it would
 * create its target, which may be outside.
 */
async function realOfNearest(path: string): Promise<string> {
  const tail: string[] = [];
  let current = path;
  let hops = 0;
  for (;;) {
    try {
      return join(await realpath(current), ...tail.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw toRpcError(error, path);
      const link = await readlink(current).catch(() => undefined);
      if (link !== undefined) {
        if (++hops > MAX_LINK_HOPS) throw osError("ELOOP", path, "realpath");
        current = resolve(dirname(current), link);
        continue;
      }
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(basename(current));
      current = parent;
    }
  }
}
