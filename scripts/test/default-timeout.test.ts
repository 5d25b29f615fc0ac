import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

// `bun test` as typed in the repository must give every file the preload's default
// timeout, not only the first one (oven-sh/bun#43787), and leave an explicit --timeout alone.
const root = resolve(import.meta.dir, "..", "..");
mkdirSync(join(root, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(root, ".tmp", "default-timeout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const first = join(dir, "first.test.ts");
const second = join(dir, "second.test.ts");
writeFileSync(first, `import { test } from "bun:test";\ntest("quick", () => {});\n`);
writeFileSync(second, `import { test } from "bun:test";\ntest("past 5 s", async () => { await Bun.sleep(5300); });\n`);

async function bunTest(...args: string[]): Promise<string> {
  const proc = Bun.spawn(["bun", "test", ...args, first, second], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return stderr;
}

test("the second file of a plain bun test run gets the 60 s default", async () => {
  const summary = await bunTest();
  expect(summary).toMatch(/\b2 pass\b/);
  expect(summary).toMatch(/\b0 fail\b/);
});

test("an explicit --timeout still applies", async () => {
  const summary = await bunTest("--timeout", "1000");
  expect(summary).toContain("timed out after 1000ms");
  expect(summary).toMatch(/\b1 fail\b/);
});
