/** Per-connection bounds of the fs methods (documented in the README). */
export const FsLimits = {
  /** Open fs/open handles (upstream's figure). */
  maxOpenHandles: 128,
  /** Active fs/watch watches. */
  maxWatches: 32,
  /** Changes a watch holds for a slow connection before it reports `overflow`. */
  watchQueueChanges: 4096,
  /** Changes gathered this long are sent as one fs/changed. */
  watchCoalesceMs: 50,
  /** Entries in one fs/readDirectory answer. */
  maxDirectoryEntries: 65_536,
  walkDefaultDepth: 16,
  walkDefaultEntries: 10_000,
} as const;
