// @xterm/addon-serialize's typings import '@xterm/xterm', whose typings pull
// in the DOM lib (clashing with Bun's types) now that the page's bundle brings
// @xterm/xterm into the install. The daemon uses the addon with
// @xterm/headless, so for the daemon's type check those names stay loose, as
// they were while @xterm/xterm was not installed. The page is checked with the
// real typings (packages/server/web-page/tsconfig.json).
export type Terminal = any;
export type ITerminalAddon = any;
export type IMarker = any;
export type IBufferRange = any;
