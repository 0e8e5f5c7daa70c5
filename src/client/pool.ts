/** Bounded concurrency for the client commands: at most `limit` tasks in flight. */

/**
 * Runs `fn` over `items` with at most `limit` calls at once, taking items lazily (an async
 * listing is read only as fast as work finishes). The first failure stops new work; the calls
 * in flight are awaited, then that failure is thrown. Callers that want to go on after a
 * failure catch inside `fn`.
 */
export async function forEachLimit<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  let failure: { err: unknown } | undefined;
  // The iterator is shared; JavaScript's single thread makes each next() call atomic, but an
  // async iterator must not be asked again before its previous answer, hence the chain.
  let pending: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const p = pending.then(() => iterator.next());
    pending = p.catch(() => undefined);
    return p;
  };
  const worker = async () => {
    while (failure === undefined) {
      try {
        const r = await next();
        if (r.done === true) return;
        await fn(r.value);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failure !== undefined) throw failure.err;
}
