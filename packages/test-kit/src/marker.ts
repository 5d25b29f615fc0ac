import { randomBytes } from "node:crypto";

export const MARKER_NAME = "EXEC_RELIABILITY_MARK";

/**
 * A unique `NAME=value` for the environment of the children a test starts:
 * descendants inherit it, so they can be found wherever they were re-parented.
 */
export function newMarker(label: string): { readonly entry: string; readonly env: Record<string, string> } {
  const value = `${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
  return { entry: `${MARKER_NAME}=${value}`, env: { PATH: "/usr/bin:/bin", [MARKER_NAME]: value } };
}
