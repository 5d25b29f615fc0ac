import { spawnWith, type RunOptions } from "./run.ts";

export interface WebPageFetch {
  readonly page: string;
  readonly bundleBytes: number;
}

/**
 * Starts a `--web` daemon with `argv` (it must listen on port 0 of loopback),
 * reads its "listening on" line, fetches `/` and `/web/app.js`, and stops it,
 * also on failure.
 */
export async function fetchWebPage(argv: string[], options: RunOptions): Promise<WebPageFetch> {
  const proc = spawnWith(argv, options, "ignore");
  let stderr = "";
  try {
    const decoder = new TextDecoder();
    let url: string | undefined;
    for await (const chunk of proc.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      url = /exec-server listening on ws:\/\/(\S+)/.exec(stderr)?.[1];
      if (url !== undefined) break;
    }
    if (url === undefined) throw new Error(`\`${argv.join(" ")}\` exited before listening:\n${stderr}`);
    const base = `http://${url}`;
    const pageResponse = await fetch(`${base}/`);
    const bundleResponse = await fetch(`${base}/web/app.js`);
    if (!pageResponse.ok || !bundleResponse.ok) {
      throw new Error(`GET / answered ${pageResponse.status}, GET /web/app.js ${bundleResponse.status}\n--- stderr\n${stderr}`);
    }
    return { page: await pageResponse.text(), bundleBytes: (await bundleResponse.arrayBuffer()).byteLength };
  } finally {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(timer);
  }
}
