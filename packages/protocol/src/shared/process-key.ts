/** One map key for a process of a session: the pair, joined by a separator neither id can be confused with. */
export function processKey(sessionId: string, processId: string): string {
  return `${sessionId}\u0000${processId}`;
}
