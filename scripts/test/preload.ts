import { setDefaultTimeout } from "bun:test";

// Real shells, PTYs and daemons start in seconds on a loaded 2-core machine, past
// `bun test`'s 5 s default; bunfig's `[test] timeout` is not honoured, a preload is.
setDefaultTimeout(60_000);
