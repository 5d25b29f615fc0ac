import Type from "typebox";
import { Base64 } from "./common.ts";

/** A `file:` URI (as upstream sends) or an absolute path (as v0 clients do); relative paths are refused. */
export const FsPath = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: "A `file:` URI or an absolute path. Relative paths are refused (-32602).",
});

/** Upstream runs fs calls in a sandboxed helper described here; accepted and ignored (see `--fs-root`). */
const Sandbox = Type.Optional(Type.Unknown({ description: "Upstream's sandbox description; accepted, not used." }));

/** Largest block `fs/readBlock` returns or `fs/writeBlock` takes. */
export const FS_MAX_BLOCK_BYTES = 1024 * 1024;

const ByteOffset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const FsReadFileParams = Type.Object({
  path: FsPath,
  offset: Type.Optional(Type.Integer({ minimum: 0, description: "First byte to read (default 0)." })),
  length: Type.Optional(Type.Integer({ minimum: 0, description: "Bytes to read at most (default: to the end)." })),
  sandbox: Sandbox,
});
export type FsReadFileParams = Type.Static<typeof FsReadFileParams>;

export const FsReadFileResult = Type.Object({ dataBase64: Base64 });
export type FsReadFileResult = Type.Static<typeof FsReadFileResult>;

export const FsWriteFileParams = Type.Object({
  path: FsPath,
  dataBase64: Base64,
  mode: Type.Optional(Type.Integer({ minimum: 0, maximum: 0o7777, description: "Permission bits of a file this call creates." })),
  atomic: Type.Optional(
    Type.Boolean({ description: "Write a temporary file beside it and rename it over the target: readers see old or new, never half." }),
  ),
  createOnly: Type.Optional(Type.Boolean({ description: "Fail with EEXIST when the file already exists." })),
  sandbox: Sandbox,
});
export type FsWriteFileParams = Type.Static<typeof FsWriteFileParams>;

export const FsEmptyResult = Type.Object({});
export type FsEmptyResult = Type.Static<typeof FsEmptyResult>;

export const FsCreateDirectoryParams = Type.Object({
  path: FsPath,
  recursive: Type.Optional(Type.Boolean({ description: "Create missing parents; an existing directory is fine." })),
  sandbox: Sandbox,
});
export type FsCreateDirectoryParams = Type.Static<typeof FsCreateDirectoryParams>;

export const FsPathParams = Type.Object({ path: FsPath, sandbox: Sandbox });
export type FsPathParams = Type.Static<typeof FsPathParams>;

export const FsMetadata = Type.Object({
  isDirectory: Type.Boolean(),
  isFile: Type.Boolean(),
  isSymlink: Type.Boolean({ description: "The path itself is a symbolic link (the other fields describe its target)." }),
  size: Type.Integer({ minimum: 0 }),
  createdAtMs: Type.Integer({ description: "Birth time (ctime where the file system has none), ms since the epoch." }),
  modifiedAtMs: Type.Integer(),
  mode: Type.Optional(Type.Integer({ description: "Permission bits (st_mode & 0o7777)." })),
});
export type FsMetadata = Type.Static<typeof FsMetadata>;

export const FsCanonicalizeResult = Type.Object({
  path: Type.String({ description: "Symlinks resolved; a `file:` URI when the request sent one." }),
});
export type FsCanonicalizeResult = Type.Static<typeof FsCanonicalizeResult>;

export const FsDirectoryEntry = Type.Object({
  fileName: Type.String(),
  isDirectory: Type.Boolean(),
  isFile: Type.Boolean(),
  isSymlink: Type.Optional(Type.Boolean()),
});
export type FsDirectoryEntry = Type.Static<typeof FsDirectoryEntry>;

export const FsReadDirectoryResult = Type.Object({
  entries: Type.Array(FsDirectoryEntry),
  truncated: Type.Optional(Type.Boolean({ description: "More entries exist than one answer carries (65,536)." })),
});
export type FsReadDirectoryResult = Type.Static<typeof FsReadDirectoryResult>;

export const FsRemoveParams = Type.Object({
  path: FsPath,
  recursive: Type.Optional(Type.Boolean({ description: "Remove a directory and everything in it." })),
  force: Type.Optional(Type.Boolean({ description: "A missing path is not an error." })),
  sandbox: Sandbox,
});
export type FsRemoveParams = Type.Static<typeof FsRemoveParams>;

export const FsCopyParams = Type.Object({
  sourcePath: FsPath,
  destinationPath: FsPath,
  recursive: Type.Optional(Type.Boolean({ description: "Required to copy a directory." })),
  sandbox: Sandbox,
});
export type FsCopyParams = Type.Static<typeof FsCopyParams>;

export const FsRenameParams = Type.Object({ sourcePath: FsPath, destinationPath: FsPath, sandbox: Sandbox });
export type FsRenameParams = Type.Static<typeof FsRenameParams>;

export const HandleId = Type.String({ minLength: 1, maxLength: 256, description: "Client-chosen, unique per connection." });

export const FsOpenParams = Type.Object({
  handleId: HandleId,
  path: FsPath,
  mode: Type.Optional(
    Type.Enum(["read", "replace"], {
      description: "`read` (default), or `replace`: create or truncate the file and write it with fs/writeBlock.",
    }),
  ),
  sandbox: Sandbox,
});
export type FsOpenParams = Type.Static<typeof FsOpenParams>;

export const FsOpenResult = Type.Object({
  handleId: HandleId,
  size: Type.Optional(Type.Integer({ minimum: 0, description: "The file's size when it was opened." })),
});
export type FsOpenResult = Type.Static<typeof FsOpenResult>;

export const FsReadBlockParams = Type.Object({
  handleId: HandleId,
  offset: ByteOffset,
  len: Type.Integer({ minimum: 0, maximum: FS_MAX_BLOCK_BYTES, description: "At most 1 MiB." }),
});
export type FsReadBlockParams = Type.Static<typeof FsReadBlockParams>;

export const FsReadBlockResult = Type.Object({
  chunk: Base64,
  eof: Type.Boolean({ description: "The block reached the end of the file." }),
});
export type FsReadBlockResult = Type.Static<typeof FsReadBlockResult>;

export const FsWriteBlockParams = Type.Object({
  handleId: HandleId,
  offset: ByteOffset,
  chunk: Base64,
});
export type FsWriteBlockParams = Type.Static<typeof FsWriteBlockParams>;

export const FsCloseParams = Type.Object({ handleId: HandleId });
export type FsCloseParams = Type.Static<typeof FsCloseParams>;

export const FsWalkOptions = Type.Object({
  maxDepth: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: "0: the directory's own entries only (default 16)." })),
  maxEntries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: "Default 10,000." })),
});
export type FsWalkOptions = Type.Static<typeof FsWalkOptions>;

export const FsWalkParams = Type.Object({ path: FsPath, options: Type.Optional(FsWalkOptions), sandbox: Sandbox });
export type FsWalkParams = Type.Static<typeof FsWalkParams>;

export const FsWalkEntry = Type.Object({
  path: Type.String({ description: "Relative to the walked directory, `/`-separated." }),
  depth: Type.Integer({ minimum: 0 }),
  isDirectory: Type.Boolean(),
  isFile: Type.Boolean(),
  isSymlink: Type.Boolean({ description: "Symbolic links are listed, never followed." }),
});
export type FsWalkEntry = Type.Static<typeof FsWalkEntry>;

export const FsWalkResult = Type.Object({
  entries: Type.Array(FsWalkEntry),
  truncated: Type.Boolean({ description: "Cut short by maxDepth or maxEntries." }),
});
export type FsWalkResult = Type.Static<typeof FsWalkResult>;

export const WatchId = Type.String({ minLength: 1, maxLength: 256, description: "Client-chosen, unique per connection." });

export const FsWatchParams = Type.Object({
  watchId: WatchId,
  path: FsPath,
  recursive: Type.Optional(Type.Boolean({ description: "Also watch every subdirectory, including ones created later." })),
});
export type FsWatchParams = Type.Static<typeof FsWatchParams>;

export const FsUnwatchParams = Type.Object({ watchId: WatchId });
export type FsUnwatchParams = Type.Static<typeof FsUnwatchParams>;

export const FsChangeKind = Type.Enum(["created", "modified", "removed", "renamed", "overflow"], {
  description: "`overflow`: events were lost because the watch's queue was full; rescan what you care about.",
});
export type FsChangeKind = Type.Static<typeof FsChangeKind>;

export const FsChange = Type.Object({
  kind: FsChangeKind,
  path: Type.String({ description: "Absolute path (a `file:` URI when the watch was set with one); the watched path for `overflow`." }),
  oldPath: Type.Optional(Type.String({ description: "For `renamed`: where it was." })),
});
export type FsChange = Type.Static<typeof FsChange>;

export const FsChangedNotification = Type.Object({
  watchId: WatchId,
  changes: Type.Array(FsChange),
});
export type FsChangedNotification = Type.Static<typeof FsChangedNotification>;
