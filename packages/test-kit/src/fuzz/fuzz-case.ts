/** One message to send: text (a websocket text frame / a stdio line) or raw bytes. */
export interface FuzzCase {
  readonly label: string;
  readonly payload: string | Uint8Array;
}
