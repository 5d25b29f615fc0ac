import { ExecServerClient } from "@x/exec-client";
import { launchChromium } from "@x/exec-test-kit/chromium.ts";
import type { Sizes } from "../config.ts";
import { quantile } from "../lib/stats.ts";
import { startDaemon } from "../targets/exec-server.ts";
import { childEnv, type TargetSpec } from "../targets/target.ts";
import { withTimeout, type Measurement } from "./measurement.ts";

const WARM_UP = 20;

/**
 * Workload 9: a keystroke's echo in the `--web` page, measured in the page:
 * from the key entering xterm.js (`term.input`, the path a typed key takes)
 * to the echoed character rendered. Beside it, the same echo through the SDK
 * from Bun (write, until the output event). The command is `cat` in a PTY: the
 * terminal echoes each byte once.
 */
export async function measurePageEcho(spec: TargetSpec, sizes: Sizes): Promise<Measurement> {
  const server = await startDaemon("websocket", { daemonArgs: ["--web", "--web-command", "exec cat"] });
  try {
    const count = WARM_UP + sizes.echoCount;
    if (spec.kind === "exec-server-web") {
      const { drawn, parsed } = await inPage(server.url!, count);
      const latencies = drawn.slice(WARM_UP);
      const written = parsed.slice(WARM_UP);
      return {
        metrics: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
        // Rendering waits for the next animation frame (60 Hz headless): the parsed figures show the rest.
        details: {
          count: latencies.length,
          max: Math.max(...latencies),
          parsedP50: quantile(written, 0.5),
          parsedP99: quantile(written, 0.99),
        },
      };
    }
    const latencies = (await throughSdk(server.url!, count)).slice(WARM_UP);
    return {
      metrics: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
      details: { count: latencies.length, max: Math.max(...latencies) },
    };
  } finally {
    await server.stop();
  }
}

async function inPage(url: string, count: number): Promise<{ drawn: number[]; parsed: number[] }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${url.replace(/^ws:/, "http:")}/`);
    await page.waitForSelector('#state[data-state="open"]', { timeout: 15_000 });
    return await withTimeout(
      page.evaluate(async (n) => {
        const { term } = (globalThis as any).execServerPage;
        const buffer = term.buffer.active;
        const position = () => (buffer.baseY + buffer.cursorY) * term.cols + buffer.cursorX;
        const drawn: number[] = [];
        const parsed: number[] = [];
        for (let i = 0; i < n; i++) {
          const before = position();
          const started = performance.now();
          await new Promise<void>((resolve) => {
            // Parsed: the cursor moved in the buffer. Drawn: the first redraw that shows it.
            let parsedAt: number | undefined;
            const onParsed = term.onWriteParsed(() => {
              if (parsedAt !== undefined || position() === before) return;
              parsedAt = performance.now();
            });
            const onRender = term.onRender(() => {
              if (position() === before) return;
              parsed.push((parsedAt ?? performance.now()) - started);
              onParsed.dispose();
              onRender.dispose();
              resolve();
            });
            term.input("a", true);
          });
          drawn.push(performance.now() - started);
        }
        return { drawn, parsed };
      }, count),
      60_000,
      "echo in the page",
    );
  } finally {
    await browser.close();
  }
}

async function throughSdk(url: string, count: number): Promise<number[]> {
  const client = await ExecServerClient.connectWebSocket({ url, clientName: "bench page-echo" });
  try {
    const cat = await client.start({ argv: ["cat"], tty: true, env: childEnv() });
    let wake: (() => void) | undefined;
    using _ = client.on("output", () => wake?.());
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const echoed = new Promise<void>((resolve) => (wake = resolve));
      const started = performance.now();
      await cat.write("a");
      await withTimeout(echoed, 10_000, `echo of byte ${i + 1}`);
      latencies.push(performance.now() - started);
    }
    await cat.terminate();
    return latencies;
  } finally {
    await client.close();
  }
}
