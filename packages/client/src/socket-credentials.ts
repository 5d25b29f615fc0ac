/** How a websocket proves itself to the server. */
export interface SocketCredentials {
  /** The server's `--token`. */
  readonly token?: string;
  /** Fetches a one-time ticket (`POST /ticket`); called for every socket opened. */
  readonly ticket?: () => Promise<string>;
}
