#!/usr/bin/env bun
/**
 * A client process meant to be killed with SIGKILL by a test. It connects to a
 * daemon (or, for stdio, spawns one as its child), starts the streaming
 * family (children with grandchildren), prints one JSON line
 * `{daemonPid, pids}` once all of them produce output, then waits to die.
 *
 *   bun packages/test-kit/src/doomed-client.ts websocket ws://127.0.0.1:PORT NAME=value
 *   bun packages/test-kit/src/doomed-client.ts stdio NAME=value
 */
import { DaemonProcess } from "./daemon.ts";
import { ProtocolClient } from "./protocol-client.ts";
import { startFamily } from "./stream-family.ts";
import { openWebSocketWire, stdioWire, type Wire } from "./wire.ts";

const [mode, ...rest] = process.argv.slice(2);
const marker = rest.at(-1)!;
const [markerName, markerValue] = [marker.slice(0, marker.indexOf("=")), marker.slice(marker.indexOf("=") + 1)];

let wire: Wire;
let daemonPid: number | undefined;
if (mode === "stdio") {
  const daemon = await DaemonProcess.start({ transport: "stdio", args: ["--log-level", "error"] });
  daemonPid = daemon.pid;
  wire = stdioWire(daemon);
} else {
  wire = await openWebSocketWire(rest[0]!);
}

const client = new ProtocolClient(wire, { keepOutput: false });
await client.handshake("doomed");
const pids = await startFamily(client, { PATH: "/usr/bin:/bin", [markerName]: markerValue });
process.stdout.write(`${JSON.stringify({ daemonPid, pids })}\n`);
await new Promise(() => {});
