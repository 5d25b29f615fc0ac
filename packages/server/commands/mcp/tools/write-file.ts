import { decodeBase64 } from "@x/exec-protocol";
import { z } from "zod";
import { FilePath } from "../file-path.ts";
import { defineTool, ToolFailure } from "../tool.ts";

export const writeFile = defineTool({
  name: "write_file",
  title: "Write a file",
  description:
    "Writes `content` to a file on the machine where commands run, creating it or replacing what it held. " +
    "`encoding: base64` writes binary. `create_only` fails if the file exists; `atomic` writes a temporary " +
    "file beside it and renames it over, so readers see the old or the new content, never half.",
  input: {
    path: FilePath,
    content: z.string().describe("The new content"),
    encoding: z.enum(["utf-8", "base64"]).optional().describe("How `content` is encoded (default utf-8)"),
    create_only: z.boolean().optional().describe("Fail if the file already exists (default false)"),
    atomic: z.boolean().optional().describe("Write a temporary file and rename it over the target (default false)"),
    mode: z.number().int().min(0).max(0o7777).optional().describe("Permission bits of a file this call creates, e.g. 420 (0o644)"),
  },
  output: {
    path: z.string(),
    bytes_written: z.number().int(),
  },
  async run(args, { client }) {
    const data = args.encoding === "base64" ? fromBase64(args.content) : new TextEncoder().encode(args.content);
    await client.fs.writeFile(args.path, data, {
      ...(args.create_only !== undefined && { createOnly: args.create_only }),
      ...(args.atomic !== undefined && { atomic: args.atomic }),
      ...(args.mode !== undefined && { mode: args.mode }),
    });
    return { text: `Wrote ${data.length} bytes to ${args.path}`, structured: { path: args.path, bytes_written: data.length } };
  },
});

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fromBase64(content: string): Uint8Array {
  // Checked here: a lenient decoder would write whatever it made of a typo.
  if (!BASE64.test(content)) throw new ToolFailure("content is not valid base64 (encoding: base64); nothing was written");
  return decodeBase64(content);
}
