import type { DirectoryEntry } from "@x/exec-client";
import { z } from "zod";
import { FilePath } from "../file-path.ts";
import { defineTool } from "../tool.ts";

/** One answer lists at most this many entries (sorted by name): an agent reads them all. */
export const MAX_LIST_ENTRIES = 1000;

const EntryType = z.enum(["file", "directory", "symlink", "other"]);

export const listDirectory = defineTool({
  name: "list_directory",
  title: "List a directory",
  description:
    `Lists a directory on the machine where commands run: each entry's name and type, sorted by name, ` +
    `at most ${MAX_LIST_ENTRIES} (\`truncated\` says when there were more). In the text, directories end with / and symlinks with @.`,
  input: {
    path: FilePath,
  },
  output: {
    path: z.string(),
    entries: z.array(z.object({ name: z.string(), type: EntryType })),
    total: z.number().int().describe("How many entries the directory has"),
    truncated: z.boolean(),
  },
  async run(args, { client }) {
    const all = (await client.fs.readDir(args.path))
      .map((entry) => ({ name: entry.fileName, type: entryType(entry) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const entries = all.slice(0, MAX_LIST_ENTRIES);
    const truncated = all.length > entries.length;
    const lines = entries.map((entry) => `${entry.name}${entry.type === "directory" ? "/" : entry.type === "symlink" ? "@" : ""}`);
    const header = `${args.path}: ${all.length} entries${truncated ? `, the first ${entries.length} shown` : ""}`;
    return { text: [header, ...lines].join("\n"), structured: { path: args.path, entries, total: all.length, truncated } };
  },
});

/** A symlink's isDirectory/isFile describe its target; the agent is told it is a link. */
function entryType(entry: DirectoryEntry): z.infer<typeof EntryType> {
  if (entry.isSymlink) return "symlink";
  if (entry.isDirectory) return "directory";
  return entry.isFile ? "file" : "other";
}
