import type { Subprocess } from "bun";
import { stopProcess } from "./launch.ts";
import type { MessageChannel } from "./rpc-client.ts";
import type { WsClient } from "./ws-client.ts";

/** One JSON message per websocket text frame. */
export function wsChannel(ws: WsClient): MessageChannel {
  const channel: MessageChannel = {
    send: (text) => ws.sendText(text),
    onMessage: () => {},
    onClose: () => {},
    close: () => ws.close(),
  };
  ws.onMessage = (message) => {
    if (message.text) channel.onMessage(message.data.toString("utf8"));
    else channel.onBinary?.(message.data);
  };
  ws.onClose = () => channel.onClose();
  return channel;
}

/** One JSON message per line on a child's stdin/stdout (the daemon's stdio transport). */
export function stdioChannel(proc: Subprocess<"pipe", "pipe", "inherit">): MessageChannel {
  const channel: MessageChannel = {
    send: (text) => {
      proc.stdin.write(`${text}\n`);
      proc.stdin.flush();
    },
    onMessage: () => {},
    onClose: () => {},
    close: () => {
      void proc.stdin.end();
      void stopProcess(proc);
    },
  };
  void (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of proc.stdout) {
      const text = partial + decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
        if (end > start) channel.onMessage(text.slice(start, end));
        start = end + 1;
      }
      partial = text.slice(start);
    }
    channel.onClose();
  })();
  return channel;
}
