import { opendir } from "node:fs/promises";
import { join } from "node:path";
import type { FsWalkEntry } from "@x/exec-protocol";

/**
 * Breadth-first listing below `root`, never following symlinks, cut at
 * `maxDepth` levels or `maxEntries` entries (then `truncated`). Unreadable
 * subdirectories are listed but not entered.
 */
export async function walk(root: string, maxDepth: number, maxEntries: number): Promise<{ entries: FsWalkEntry[]; truncated: boolean }> {
  const entries: FsWalkEntry[] = [];
  let truncated = false;
  let level: string[] = [""];
  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = [];
    for (const relDir of level) {
      try {
        for await (const dirent of await opendir(join(root, relDir))) {
          if (entries.length >= maxEntries) {
            truncated = true;
            break;
          }
          const path = relDir === "" ? dirent.name : `${relDir}/${dirent.name}`;
          const isDirectory = dirent.isDirectory();
          entries.push({ path, depth, isDirectory, isFile: dirent.isFile(), isSymlink: dirent.isSymbolicLink() });
          if (isDirectory) {
            if (depth < maxDepth) next.push(path);
            else truncated = true;
          }
        }
      } catch (error) {
        // The walked directory itself must be readable; one below it that is not (or vanished) is skipped.
        if (depth === 0) throw error;
      }
      // Breaking out of `for await` closed the directory.
      if (truncated && entries.length >= maxEntries) return { entries, truncated };
    }
    level = next;
  }
  return { entries, truncated };
}
