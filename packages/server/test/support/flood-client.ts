// Connects to the daemon at argv[2], starts `cat /dev/zero`, prints "started", then keeps the socket open.
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";

const client = new ProtocolClient(await openWebSocketWire(process.argv[2]!), { records: false });
await client.handshake("flood");
await client.call("process/start", { processId: "flood", argv: ["cat", "/dev/zero"], cwd: "/", env: {}, tty: false });
console.log("started");
setInterval(() => {}, 1000);
