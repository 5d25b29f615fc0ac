export * from "./browser.ts";
export { spawnLocalExecServer, type SpawnedExecServer, type SpawnLocalOptions } from "./spawn-local.ts";
