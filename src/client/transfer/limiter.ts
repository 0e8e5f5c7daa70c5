/** A shared bound on requests in flight: `strongbox cp --concurrency` counts parts of all files together. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Runs `fn` once fewer than `limit` others run. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter, so `active` never over-counts.
      const next = this.waiting.shift();
      if (next === undefined) this.active--;
      else next();
    }
  }
}
