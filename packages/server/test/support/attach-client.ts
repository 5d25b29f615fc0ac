// Attaches (read mode) to process argv[4] of session argv[3] on the daemon at argv[2], prints "attached", then idles.
export {};
const [url, sessionId, processId] = process.argv.slice(2);
const ws = new WebSocket(url!);
await new Promise((resolve) => (ws.onopen = resolve));
ws.onmessage = (event) => {
  if (String(event.data).startsWith('{"id":2')) console.log("attached");
};
ws.send(JSON.stringify({ id: 1, method: "initialize", params: { clientName: "slow-reader" } }));
ws.send(JSON.stringify({ method: "initialized", params: {} }));
ws.send(JSON.stringify({ id: 2, method: "process/attach", params: { sessionId, processId, mode: "read" } }));
setInterval(() => {}, 1000);
