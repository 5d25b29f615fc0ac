// Small helpers both ends need, kept here so each exists once.
export { HeadTailBuffer } from "./head-tail.ts";
export { processKey } from "./process-key.ts";
export { concatBytes } from "./bytes.ts";
