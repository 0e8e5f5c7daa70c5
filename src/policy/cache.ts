import { parsePolicy } from './parse.js';
import type { Policy } from './types.js';

/** Policies kept compiled; beyond this the least recently used are parsed again when needed. */
export const MAX_CACHED_POLICIES = 1000;

/**
 * Parsed policies keyed by their text, so that a request to a bucket with a policy does not
 * parse JSON and compile patterns again. The key is the text itself: a changed policy is a
 * new entry, and an entry can never be stale.
 */
export class PolicyCache {
  readonly #entries = new Map<string, Policy>();

  constructor(private readonly max = MAX_CACHED_POLICIES) {}

  /** The compiled policy for `text`; throws PolicyError if the text is no valid policy. */
  get(text: string): Policy {
    const hit = this.#entries.get(text);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.#entries.delete(text);
      this.#entries.set(text, hit);
      return hit;
    }
    const policy = parsePolicy(text);
    this.#entries.set(text, policy);
    if (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return policy;
  }

  get size(): number {
    return this.#entries.size;
  }
}
