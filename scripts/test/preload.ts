import { plugin } from "bun";
import { setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";

/**
 * Real shells, PTYs and daemons start in seconds on a loaded 2-core machine, past
 * `bun test`'s 5 s default, so a plain `bun test` needs a longer default.
 * bunfig's `[test] timeout` is not honoured, and in Bun 1.4.4 a preload's
 * `setDefaultTimeout` reaches only the first file of a run (oven-sh/bun#43787):
 * every test file is therefore loaded with the call in front of its own code,
 * on its first line so that line numbers in failures stay right.
 */
export const DEFAULT_TEST_TIMEOUT_MS = 60_000;

/** An explicit `bun test --timeout N` wins (it is not in process.argv, only the kernel's copy). */
function timeoutGivenOnCommandLine(): boolean {
  try {
    return readFileSync("/proc/self/cmdline", "utf8").split("\0").some((arg) => arg === "--timeout" || arg.startsWith("--timeout="));
  } catch {
    return false;
  }
}

const LOADERS = { ts: "ts", tsx: "tsx", js: "js", jsx: "jsx", mts: "ts", cts: "ts", mjs: "js", cjs: "js" } as const;

if (!timeoutGivenOnCommandLine()) {
  setDefaultTimeout(DEFAULT_TEST_TIMEOUT_MS);
  plugin({
    name: "default-test-timeout",
    setup(build) {
      build.onLoad({ filter: /\.test\.[cm]?[jt]sx?$/ }, async ({ path }) => {
        const extension = path.slice(path.lastIndexOf(".") + 1) as keyof typeof LOADERS;
        const source = await Bun.file(path).text();
        return {
          contents: `import { setDefaultTimeout as __setDefaultTimeout } from "bun:test"; __setDefaultTimeout(${DEFAULT_TEST_TIMEOUT_MS}); ${source}`,
          loader: LOADERS[extension],
        };
      });
    },
  });
}
