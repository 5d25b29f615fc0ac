/** How long a ticket from `POST /ticket` can be used. */
export const TICKET_TTL_MS = 30_000;
/** Outstanding tickets; past it, `issue` refuses (the page asks for one per socket it opens). */
export const MAX_OUTSTANDING_TICKETS = 64;

/**
 * One-time credentials for browsers, which cannot send `Authorization` on a
 * websocket upgrade: a page holding the token trades it (in a header, over
 * `fetch`) for a ticket, and offers the ticket as a subprotocol value. A
 * ticket works once, for TICKET_TTL_MS, so a copy seen later is worthless.
 */
export class TicketStore {
  private readonly tickets = new Map<string, number>();

  constructor(
    private readonly ttlMs = TICKET_TTL_MS,
    private readonly capacity = MAX_OUTSTANDING_TICKETS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.tickets.size;
  }

  /** A fresh ticket, or undefined while `capacity` unexpired tickets are outstanding. */
  issue(): string | undefined {
    this.prune();
    if (this.tickets.size >= this.capacity) return undefined;
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const ticket = Buffer.from(bytes).toString("base64url");
    this.tickets.set(ticket, this.now() + this.ttlMs);
    return ticket;
  }

  /** True once for a ticket issued here and not expired; it is gone afterwards. */
  redeem(ticket: string): boolean {
    const expires = this.tickets.get(ticket);
    if (expires === undefined) return false;
    this.tickets.delete(ticket);
    return expires > this.now();
  }

  private prune(): void {
    const now = this.now();
    for (const [ticket, expires] of this.tickets) if (expires <= now) this.tickets.delete(ticket);
  }
}
