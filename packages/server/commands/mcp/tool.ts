import { ExecServerError } from "@x/exec-client";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ExecServerClient } from "@x/exec-client";
import type { SessionTable } from "./session-table.ts";
import { ToolFailure } from "./tool-failure.ts";

export { ToolFailure };

/** What every tool runs against. */
export interface ToolContext {
  readonly client: ExecServerClient;
  readonly sessions: SessionTable;
}

/** A tool's answer: text for the model, and the same facts as `structuredContent`. */
export interface ToolReply<Out> {
  readonly text: string;
  readonly structured: Out;
}

/** One MCP tool: its fixed name, its zod input and output shapes, and what it does. */
export interface ToolSpec<In extends z.ZodRawShape, Out extends z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: In;
  readonly output: Out;
  run(args: z.infer<z.ZodObject<In>>, context: ToolContext): Promise<ToolReply<z.infer<z.ZodObject<Out>>>>;
}

/** Keeps each tool's argument and result types tied to its own schemas. */
export function defineTool<In extends z.ZodRawShape, Out extends z.ZodRawShape>(spec: ToolSpec<In, Out>): ToolSpec<In, Out> {
  return spec;
}

// `any`: one list holds tools of different shapes; each tool is checked against its own by defineTool.
export type AnyTool = ToolSpec<any, any>;

/** Registers each tool: every answer has text and structuredContent, every failure is `isError` with text saying why. */
export function registerTools(server: McpServer, tools: readonly AnyTool[], context: ToolContext): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output },
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        try {
          const reply = await tool.run(args, context);
          return { content: [{ type: "text", text: reply.text }], structuredContent: reply.structured };
        } catch (error) {
          // No structuredContent here: clients check it against the output schema even on errors.
          return { isError: true, content: [{ type: "text", text: describeFailure(error) }] };
        }
      },
    );
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof ToolFailure) return error.message;
  if (error instanceof ExecServerError) return `exec-server refused: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
