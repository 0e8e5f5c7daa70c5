import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, finished, type Readable } from 'node:stream';
import { requestTimeout } from '../errors/s3-error.js';

/** Pieces of 64 KiB, as everywhere else in the data path. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/**
 * The request body as the pipeline hands it on: a stream of its own, fed from the request.
 * A handler may destroy it (a document over its cap, a failed digest) without destroying the
 * request, which node would turn into a destroyed socket and a reset instead of our answer.
 *
 * It also carries the body idle timeout (issue 14): when nothing arrives for `idleMs` while
 * the server is waiting for body bytes, the body fails with 400 RequestTimeout, so the handler
 * stops and the pipeline answers it (the connection is then closed, see drain-body.ts).
 * Bytes that arrived but that we have not read yet mean the slow side is ours, not the
 * client's: that is no timeout.
 */
export function requestBody(req: IncomingMessage, res: ServerResponse, idleMs: number): Readable {
  const body = new PassThrough({ highWaterMark: BODY_HIGH_WATER_MARK });
  // The error stays on `body` (body.errored) for every consumer; this listener only keeps a
  // body nobody reads from crashing the process with an unhandled 'error'.
  body.on('error', () => undefined);
  body.on('close', () => req.unpipe(body));
  finished(req, (err) => {
    if (err !== undefined && err !== null && !body.destroyed) body.destroy(err);
  });
  req.pipe(body);
  if (idleMs > 0) {
    req.socket.setTimeout(idleMs);
    // Node emits 'timeout' on the request only while its body is incomplete.
    req.on('timeout', () => {
      if (req.readableLength > 0 || body.readableLength > 0) return;
      if (res.headersSent || res.writableEnded || body.destroyed) {
        // Answered already (or answering): the client is still idle, so close now.
        req.socket.destroy();
        return;
      }
      body.destroy(requestTimeout());
    });
    // A request whose body is all in takes as long as its handler takes; a response the
    // client stopped reading is cut (the answer has begun, so no error document is possible).
    res.on('timeout', () => {
      if (res.headersSent && !res.writableFinished && (res.socket?.writableLength ?? 0) > 0) res.socket?.destroy();
    });
  }
  return body;
}
