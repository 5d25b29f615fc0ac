import { expect, test } from "bun:test";
import { socketUrl } from "../web-page/socket-url.ts";

test("the page connects with wss: when served over https:, ws: over http:", () => {
  expect(socketUrl({ protocol: "https:", host: "exec.example:8443" })).toBe("wss://exec.example:8443/");
  expect(socketUrl({ protocol: "http:", host: "127.0.0.1:7000" })).toBe("ws://127.0.0.1:7000/");
});
