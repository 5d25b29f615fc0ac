/**
 * The daemon's websocket on the page's own origin: wss: behind https: (a TLS
 * proxy; a browser refuses ws: from a secure page), ws: otherwise.
 */
export function socketUrl(location: { readonly protocol: string; readonly host: string }): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/`;
}
