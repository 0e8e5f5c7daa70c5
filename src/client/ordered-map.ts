/** Concurrent work whose results are used in input order (`strongbox ls` probes objects in parallel but prints them sorted). */

type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly err: unknown };

/**
 * Calls `fn` on each item with at most `limit` calls in flight, reading `items` lazily, and
 * hands the results to `emit` in the order of the items. A failure is thrown once the calls
 * before it have been emitted; the calls in flight are waited for, not abandoned.
 */
export async function mapOrdered<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
  emit: (result: R, item: T) => void,
): Promise<void> {
  // Each call is settled at once, so a rejection waiting in the window is never "unhandled".
  const window: { readonly item: T; readonly result: Promise<Settled<R>> }[] = [];
  let failure: { err: unknown } | undefined;
  const emitFirst = async () => {
    const first = window.shift()!;
    const r = await first.result;
    if (failure !== undefined) return;
    if (r.ok) emit(r.value, first.item);
    else failure = { err: r.err };
  };
  for await (const item of items) {
    window.push({
      item,
      result: fn(item).then(
        (value): Settled<R> => ({ ok: true, value }),
        (err: unknown): Settled<R> => ({ ok: false, err }),
      ),
    });
    if (window.length >= Math.max(1, limit)) await emitFirst();
    if (failure !== undefined) break;
  }
  while (window.length > 0) await emitFirst();
  if (failure !== undefined) throw failure.err;
}
