/**
 * The load loop of `npm run bench`: a fixed number of operations (or a minimum duration) with
 * a bounded number in flight, each timed.
 */

let retries = 0;

/** Requests retried so far (a reused keep-alive socket closed by the server as we sent). */
export const retryCount = (): number => retries;

/** One retry when a reused keep-alive socket was closed by the server just as we sent. */
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      retries++;
      return await fn();
    }
    throw err;
  }
}

/**
 * Run fn(0), fn(1), … with at most `concurrency` in flight: at least `ops` calls, and more
 * until `minSeconds` have passed. Returns per-op latencies in ms (one per call made). The
 * first failure stops new calls and is thrown once the calls in flight have settled, so that a
 * failed case leaves no requests behind to disturb the next one.
 */
export async function runPool(concurrency: number, ops: number, fn: (i: number) => Promise<unknown>, minSeconds = 0): Promise<number[]> {
  const lat: number[] = [];
  const start = performance.now();
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      if (next >= ops && performance.now() - start >= minSeconds * 1000) return;
      const i = next++;
      const t = performance.now();
      try {
        await withRetry(() => fn(i));
      } catch (err) {
        failure ??= { err };
        return;
      }
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(ops, 1)) }, worker));
  if (failure !== undefined) throw failure.err;
  return lat;
}
