import { resolve } from "node:path";

export const BENCH_DIR = resolve(import.meta.dir, "..");
export const REPO_ROOT = resolve(BENCH_DIR, "..");
export const PEERS_DIR = resolve(BENCH_DIR, "peers");
/** Random input files, made once and kept (gitignored). */
export const CACHE_DIR = resolve(BENCH_DIR, ".cache");
