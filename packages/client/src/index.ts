export * from "./browser.ts";
export { connectInProcess, type InProcessOptions } from "./in-process.ts";
export { spawnLocalExecServer, type SpawnedExecServer, type SpawnLocalOptions } from "./spawn-local.ts";
