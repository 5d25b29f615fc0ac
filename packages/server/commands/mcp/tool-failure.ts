/** A failure the agent can act on: the message says what was wrong. */
export class ToolFailure extends Error {
  override readonly name = "ToolFailure";
}
