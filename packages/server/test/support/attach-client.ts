// Attaches (read mode) to process argv[4] of session argv[3] on the daemon at argv[2], prints "attached", then idles.
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";

const [url, sessionId, processId] = process.argv.slice(2);
const client = new ProtocolClient(await openWebSocketWire(url!), { records: false });
await client.handshake("slow-reader");
await client.call("process/attach", { sessionId, processId, mode: "read" });
console.log("attached");
setInterval(() => {}, 1000);
