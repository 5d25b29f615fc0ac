import type { ExecWindow, ProcessHandle } from "../../src/index.ts";

export const PATH = process.env.PATH ?? "/usr/bin:/bin";

/** Reads output from the start until `pattern` matches the decoded text. */
export async function outputMatching(process: ProcessHandle, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const reading = (async () => {
    for await (const chunk of process.output()) {
      text += decoder.decode(chunk.data, { stream: true });
      if (pattern.test(text)) return text;
    }
    throw new Error(`output ended without matching ${pattern}: ${JSON.stringify(text)}`);
  })();
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${JSON.stringify(text)}`)), timeoutMs);
  });
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects further short windows until `pattern` matches what the windows returned, or the process exits. */
export async function windowsUntil(window: ExecWindow, pattern: RegExp, timeoutMs = 10_000): Promise<ExecWindow & { all: string }> {
  const deadline = Date.now() + timeoutMs;
  let all = window.output;
  let last = window;
  while (!pattern.test(all) && last.exitCode === undefined) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${JSON.stringify(all)}`);
    last = await last.process.exec({ yieldTimeMs: 200 });
    all += last.output;
  }
  return { ...last, all };
}

export function expectedSeq(count: number): string {
  return Array.from({ length: count }, (_, i) => `${i + 1}\n`).join("");
}
