import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { normalizeIp } from '../policy/conditions.js';

/** One live connection of this server: its peer address and port (the same on the TCP and the TLS socket). */
const connectionKey = (socket: Socket): string => `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;

/**
 * The cap on connections per client address (issue 14), so that one client cannot hold every
 * socket the process has. A client that connects directly takes one slot per open connection
 * when it connects; a connection that finds none free is still read, and its request is
 * answered 503 SlowDown (Amazon's answer to a client that asks too much: SDKs back off and
 * retry) unless a slot has freed meanwhile. A trusted reverse proxy carries many clients on
 * its connections, so those take no slot: each request through it takes one for its
 * forwarded address while it is in flight, and the proxy itself is never counted.
 */
export class ClientSlots {
  /** Slots held per address. */
  readonly #held = new Map<string, number>();
  /** Direct connections holding a slot, by {@link connectionKey}. */
  readonly #connections = new Map<string, string>();

  /** `max` slots per address; 0: no limit. */
  constructor(readonly max: number) {}

  /** Slots `address` holds now (for tests and diagnostics). */
  heldBy(address: string): number {
    return this.#held.get(address) ?? 0;
  }

  #take(address: string): boolean {
    const n = this.#held.get(address) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.#held.set(address, n + 1);
    return true;
  }

  #give(address: string): void {
    const n = (this.#held.get(address) ?? 0) - 1;
    if (n > 0) this.#held.set(address, n);
    else this.#held.delete(address);
  }

  #takeForConnection(key: string, address: string): boolean {
    if (!this.#take(address)) return false;
    this.#connections.set(key, address);
    return true;
  }

  /** A new TCP connection (before any TLS handshake); `viaProxy` when its peer is a trusted proxy. */
  onConnection(socket: Socket, viaProxy: boolean): void {
    const remote = socket.remoteAddress;
    if (this.max === 0 || remote === undefined || viaProxy) return;
    const key = connectionKey(socket);
    this.#takeForConnection(key, normalizeIp(remote));
    socket.once('close', () => {
      const address = this.#connections.get(key);
      if (address === undefined) return;
      this.#connections.delete(key);
      this.#give(address);
    });
  }

  /**
   * Whether a request may go on. `client` is its client address (the forwarded one behind a
   * trusted proxy, see sourceIp()). A proxied request's slot is given back when its response closes.
   */
  admit(req: IncomingMessage, res: ServerResponse, client: string | undefined, viaProxy: boolean): boolean {
    if (this.max === 0 || client === undefined) return true;
    if (viaProxy) {
      if (!this.#take(client)) return false;
      res.once('close', () => this.#give(client));
      return true;
    }
    const key = connectionKey(req.socket);
    // The connection's own close listener (onConnection) gives back a slot taken late.
    return this.#connections.has(key) || this.#takeForConnection(key, client);
  }
}

/**
 * The cap on requests in flight in this process, all clients together (issue 14): beyond it a
 * request is answered 503 SlowDown at once, before its body is read, instead of queueing
 * behind the others and holding memory. A request leaves when its response closes.
 */
export class RequestsInFlight {
  #count = 0;

  /** `max` requests at once; 0: no limit. */
  constructor(readonly max: number) {}

  get count(): number {
    return this.#count;
  }

  /** Whether the request may go on; if so it counts until `res` closes. */
  enter(res: ServerResponse): boolean {
    if (this.max > 0 && this.#count >= this.max) return false;
    this.#count += 1;
    res.once('close', () => {
      this.#count -= 1;
    });
    return true;
  }
}
