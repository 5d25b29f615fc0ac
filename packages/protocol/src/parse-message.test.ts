import { expect, test } from "bun:test";
import { parseMessage } from "./parse-message.ts";

const b64 = Buffer.from(crypto.getRandomValues(new Uint8Array(3000))).toString("base64");

test("gives what JSON.parse gives, for output notifications and for everything else", () => {
  const cases = [
    `{"method":"process/output","params":{"processId":"p1","stream":"stdout","chunk":"${b64}","seq":7}}`,
    `{"jsonrpc":"2.0","method":"process/output","params":{"processId":"p1","stream":"stderr","chunk":"${b64}","seq":1,"sessionId":"s"}}`,
    `{"method":"process/output","params":{"chunk":"${b64}"}}`,
    `{"method":"process/output","params":{"processId":"p","chunk":""}}`,
    `{"method":"process/output","params":{"processId":"p","seq":2,"chunk":"QUJD"}}`,
    `{"id":1,"result":{"chunk":"QUJD"}}`,
    `{"method":"process/exited","params":{"processId":"p","exitCode":0}}`,
  ];
  for (const text of cases) expect(parseMessage(text)).toEqual(JSON.parse(text));
});

test("anything the cut could change goes through JSON.parse whole", () => {
  const cases = [
    // an escape inside the chunk
    `{"method":"process/output","params":{"processId":"p","chunk":"QU\\u004aD","seq":1}}`,
    // a second chunk member: the last wins
    `{"method":"process/output","params":{"processId":"p","chunk":"QUJD","seq":1,"chunk":"WFla"}}`,
    // a nested object before the chunk
    `{"method":"process/output","params":{"x":{"chunk":"QUJD"},"seq":1}}`,
    // "chunk" inside another string
    `{"method":"process/output","params":{"processId":"\\"chunk\\":\\"QUJD","seq":1}}`,
  ];
  for (const text of cases) expect(parseMessage(text)).toEqual(JSON.parse(text));
});

test("throws where JSON.parse throws", () => {
  for (const text of [
    `{"method":"process/output","params":{"processId":"p","chunk":"QUJD","seq":}}`,
    `{"method":"process/output","params":{"processId":"p","chunk":"QU\tJD"}}`,
    `{"method":"process/output","params":{"processId":"p","chunk":"QUJD`,
    "not json",
  ]) {
    expect(() => JSON.parse(text)).toThrow();
    expect(() => parseMessage(text)).toThrow();
  }
});
