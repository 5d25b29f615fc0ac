import { fileURLToPath } from "node:url";

/** The terminal page's script and stylesheet, bundled with @xterm/xterm: no CDN, works offline. */
export interface PageBundle {
  readonly js: string;
  readonly css: string;
}

const ENTRY = fileURLToPath(new URL("../../web-page/main.ts", import.meta.url));

/** Bundles web-page/ for the browser (the SDK's "browser" entry); about a second, once at start. */
export async function buildPage(): Promise<PageBundle> {
  const result = await Bun.build({ entrypoints: [ENTRY], target: "browser", minify: true });
  if (!result.success) {
    throw new Error(`bundling the web page failed: ${result.logs.map((log) => log.message).join("; ")}`);
  }
  let js = "";
  let css = "";
  for (const output of result.outputs) {
    if (output.path.endsWith(".css")) css += await output.text();
    else if (output.kind === "entry-point") js = await output.text();
  }
  return { js, css };
}
