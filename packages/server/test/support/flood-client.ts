export {};
// Connects to the daemon at argv[2], starts `cat /dev/zero`, prints "started", then keeps the socket open.
const ws = new WebSocket(process.argv[2]!);
await new Promise((resolve) => (ws.onopen = resolve));
ws.send(JSON.stringify({ id: 1, method: "initialize", params: { clientName: "flood" } }));
ws.send(JSON.stringify({ method: "initialized", params: {} }));
ws.send(
  JSON.stringify({
    id: 2,
    method: "process/start",
    params: { processId: "flood", argv: ["cat", "/dev/zero"], cwd: "/", env: {}, tty: false },
  }),
);
ws.onmessage = (event) => {
  if (String(event.data).startsWith('{"id":2')) console.log("started");
};
setInterval(() => {}, 1000);
