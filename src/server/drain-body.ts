import type { IncomingMessage, ServerResponse } from 'node:http';

/** Unread request bytes we still read and discard before answering an error. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * A client still sending its body when we answer an error (say, a part with the wrong SSE-C
 * key) gets the error only if we read on: many clients (urllib3 over TLS) see a closed
 * connection as a transport failure and never read the answer. Bodies up to MAX_DRAIN_BYTES
 * are read and dropped; beyond that, or if the client stalls, the connection is closed after
 * the answer (an unread body would otherwise be parsed as the next request).
 */
export async function drainBody(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.readableEnded) return;
  if (req.destroyed) {
    res.setHeader('connection', 'close');
    return;
  }
  const drained = await new Promise<boolean>((resolve) => {
    let bytes = 0;
    const done = (ok: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (!ok) req.pause();
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_DRAIN_BYTES) done(false);
    };
    const onEnd = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), DRAIN_TIMEOUT_MS);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    // A decoder the request was piped into would pause it again once its buffer fills.
    req.unpipe();
    req.resume();
  });
  if (!drained) res.setHeader('connection', 'close');
}
