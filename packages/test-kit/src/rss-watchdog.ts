import { rssBytes } from "./proc-tree.ts";

export interface RssWatchdog {
  /** Highest RSS seen, in bytes. */
  readonly peak: number;
  /** Set once the limit was passed and the process killed. */
  readonly tripped: number | undefined;
  stop(): void;
}

/**
 * SIGKILLs `pid` as soon as its RSS passes `limitBytes`: a daemon that lets one
 * request allocate without bound must fail the run, not take the shared
 * machine down with it.
 */
export function watchRss(pid: number, limitBytes: number, intervalMs = 25): RssWatchdog {
  let peak = 0;
  let tripped: number | undefined;
  const timer = setInterval(() => {
    const rss = rssBytes(pid);
    peak = Math.max(peak, rss);
    if (rss > limitBytes && tripped === undefined) {
      tripped = rss;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }, intervalMs);
  return {
    get peak() {
      return peak;
    },
    get tripped() {
      return tripped;
    },
    stop: () => clearInterval(timer),
  };
}
