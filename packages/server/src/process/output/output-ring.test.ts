import { expect, test } from "bun:test";
import { OutputRing } from "./output-ring.ts";

const bytes = (n: number) => new Uint8Array(n);

test("seqs start at 1; reads are exclusive of afterSeq and return at least one chunk", () => {
  const ring = new OutputRing(1000);
  ring.append("stdout", bytes(10));
  ring.append("stderr", bytes(20));
  ring.append("stdout", bytes(30));
  expect(ring.read(0, 1000).map((c) => c.seq)).toEqual([1, 2, 3]);
  expect(ring.read(1, 1000).map((c) => c.seq)).toEqual([2, 3]);
  expect(ring.read(0, 5).map((c) => c.seq)).toEqual([1]);
  expect(ring.read(0, 30).map((c) => c.seq)).toEqual([1, 2]);
  expect(ring.read(3, 1000)).toEqual([]);
  expect(ring.nextSeq).toBe(4);
});

test("trim drops the oldest chunks past capacity and counts them, keeping the newest", () => {
  const ring = new OutputRing(50);
  for (let i = 0; i < 5; i++) ring.append("stdout", bytes(20));
  ring.trim();
  expect(ring.firstSeq).toBe(4);
  expect(ring.retainedBytes).toBe(40);
  expect(ring.droppedBytes).toBe(60);
  expect(ring.totalBytes).toBe(100);
  expect(ring.read(0, 1000).map((c) => c.seq)).toEqual([4, 5]);
  ring.append("stdout", bytes(500));
  ring.trim();
  expect(ring.read(0, 10).map((c) => c.seq)).toEqual([6]);
});

test("undelivered chunks may overflow by the allowance before they are dropped", () => {
  const ring = new OutputRing(40);
  for (let i = 0; i < 4; i++) ring.append("pty", bytes(20));
  ring.trim(2, 100); // chunks 2..4 undelivered: only chunk 1 may go
  expect(ring.firstSeq).toBe(2);
  for (let i = 0; i < 10; i++) ring.append("pty", bytes(20));
  ring.trim(2, 100);
  expect(ring.retainedBytes).toBeLessThanOrEqual(140);
  expect(ring.at(ring.lastSeq)).toBeDefined();
});

test("at() addresses chunks by seq across compaction", () => {
  const ring = new OutputRing(10);
  for (let i = 0; i < 5000; i++) {
    ring.append("stdout", new Uint8Array([i % 256]));
    ring.trim();
  }
  expect(ring.firstSeq).toBe(4991);
  expect(ring.at(5000)!.data[0]).toBe(4999 % 256);
  expect(ring.at(4990)).toBeUndefined();
});
