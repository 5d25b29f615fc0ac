import { z } from "zod";

/** How every file tool takes its path: the exec server checks it (absolute or file:, inside its --fs-root). */
export const FilePath = z
  .string()
  .min(1)
  .describe("Absolute path (or file: URI) on the machine where commands run");
