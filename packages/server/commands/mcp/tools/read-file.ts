import { encodeBase64, FS_MAX_BLOCK_BYTES } from "@x/exec-protocol";
import { z } from "zod";
import { FilePath } from "../file-path.ts";
import { defineTool, ToolFailure } from "../tool.ts";

export const DEFAULT_READ_BYTES = 64 * 1024;
/** One answer carries at most one fs block: larger files are read in steps with `offset`. */
export const MAX_READ_BYTES = FS_MAX_BLOCK_BYTES;

export const readFile = defineTool({
  name: "read_file",
  title: "Read a file",
  description:
    `Reads a file on the machine where commands run: up to \`length\` bytes (default ${DEFAULT_READ_BYTES}, ` +
    `at most ${MAX_READ_BYTES}) from \`offset\`. UTF-8 text comes as text; anything else (or text with NUL ` +
    "bytes) as base64. When more follows, `next_offset` says where to continue.",
  input: {
    path: FilePath,
    offset: z.number().int().nonnegative().optional().describe("First byte to read (default 0)"),
    length: z
      .number()
      .int()
      .positive()
      .max(MAX_READ_BYTES)
      .optional()
      .describe(`Bytes to read at most (default ${DEFAULT_READ_BYTES})`),
  },
  output: {
    path: z.string(),
    content: z.string().describe("The bytes read, as `encoding` says"),
    encoding: z.enum(["utf-8", "base64"]),
    offset: z.number().int(),
    bytes: z.number().int().describe("How many bytes `content` holds"),
    size: z.number().int().describe("The file's whole size"),
    next_offset: z.number().int().nullable().describe("Where the rest starts; null once the end was read"),
  },
  async run(args, { client }) {
    const metadata = await client.fs.stat(args.path);
    if (metadata.isDirectory) throw new ToolFailure(`${args.path} is a directory; list it with list_directory`);
    const offset = args.offset ?? 0;
    const data = await client.fs.readFile(args.path, { offset, length: args.length ?? DEFAULT_READ_BYTES });
    const decoded = asText(data, offset + data.length < metadata.size);
    const bytes = decoded?.bytes ?? data.length;
    const end = offset + bytes;
    const structured = {
      path: args.path,
      content: decoded?.text ?? encodeBase64(data),
      encoding: decoded ? ("utf-8" as const) : ("base64" as const),
      offset,
      bytes,
      size: metadata.size,
      next_offset: end < metadata.size ? end : null,
    };
    const range = bytes === 0 ? "no bytes" : `bytes ${offset}-${end - 1}`;
    const more = structured.next_offset === null ? "" : `; more from offset ${end}`;
    const header = `${args.path}: ${metadata.size} bytes, ${range}${decoded ? "" : " (binary, base64)"}${more}`;
    return { text: `${header}\n${structured.content}`, structured };
  },
});

/**
 * The bytes as UTF-8 text, or undefined if they are not text. A character cut
 * by `length` (more follows) is left for the next read rather than mangled.
 */
function asText(data: Uint8Array, moreFollows: boolean): { text: string; bytes: number } | undefined {
  if (data.includes(0)) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data, { stream: moreFollows });
  } catch {
    return undefined;
  }
  const bytes = Buffer.byteLength(text, "utf8");
  // A whole window of undecodable tail bytes is binary, not a cut character.
  if (data.length - bytes > 3) return undefined;
  return { text, bytes };
}
