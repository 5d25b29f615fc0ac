/** What the page starts, fixed by the server (`--web-command`), not chosen by the page. */
export interface WebCommand {
  readonly argv: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** `GET /web/config`: shared by the server's route and the page. */
export interface PageConfig {
  readonly command: WebCommand;
  /** The server has a token: the page asks for it and trades it for tickets. */
  readonly tokenRequired: boolean;
}
