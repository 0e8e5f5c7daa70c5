/**
 * Reads an async source ahead of its consumer: a listing runs up to `limit` objects ahead of
 * the work it feeds, so a progress bar shows a total close to the real one (and its ETA means
 * something) while memory stays bounded for any bucket size.
 */

/** How far listings run ahead of the work: 10 pages of ListObjectsV2. */
export const LIST_AHEAD = 10_000;

/**
 * Yields what `source` yields, in order, reading up to `limit` items ahead; `onRead` is told
 * about each item as it is read. A failure of the source is thrown to the consumer once the
 * items read before it are consumed. If the consumer stops early, reading stops too.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, limit: number, onRead: (item: T) => void): AsyncGenerator<T> {
  let buffer: T[] = [];
  let head = 0;
  let finished = false;
  let stopped = false;
  let failure: { err: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const fn = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    fn?.();
  };
  const producer = (async () => {
    try {
      for await (const item of source) {
        buffer.push(item);
        onRead(item);
        wake('consumer');
        while (buffer.length - head >= limit && !stopped) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) return;
      }
    } catch (err) {
      failure = { err };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();
  try {
    for (;;) {
      if (head < buffer.length) {
        const item = buffer[head++] as T;
        // Drop consumed items now and then, so taking one stays O(1) on average.
        if (head >= 1024 && head * 2 >= buffer.length) {
          buffer = buffer.slice(head);
          head = 0;
        }
        wake('producer');
        yield item;
        continue;
      }
      if (failure !== undefined) throw failure.err;
      if (finished) return;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    stopped = true;
    wake('producer');
    await producer;
  }
}
