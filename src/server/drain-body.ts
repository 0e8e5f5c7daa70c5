import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How much of a refused request body we still read and drop after the answer, and for how
 * long, before the connection is closed anyway (issue 14: docs/errors.md, resource limits).
 * botocore over TLS sends its whole body before it reads, and a reset while it sends is a
 * transport error to it (an SSL EOF, which urllib3 does not forgive as it does a plain broken
 * pipe), so the byte bound is above the largest body a client plausibly sends by mistake
 * (a 100 MB document); the time bound keeps a slow sender from holding the socket.
 */
export const LINGER_MAX_BYTES = 256 * 1024 * 1024;
export const LINGER_MAX_MS = 10_000;

/**
 * Prepares the connection for an error answer sent while the request body may still be
 * arriving (a part with the wrong SSE-C key, a 100 MB CompleteMultipartUpload body).
 *
 * A body that has fully arrived is read and dropped, and the connection stays usable. One
 * still arriving gets the answer at once, with `Connection: close`: clients that read while
 * they send (curl, Go, node) stop sending. The connection is then half-closed (our FIN after
 * the answer) and the rest of the body is read and dropped until the client has sent it all,
 * LINGER_MAX_BYTES have come or LINGER_MAX_MS have passed; only then is the socket destroyed.
 * Destroying it with unread bytes at once, as node does for `Connection: close`, makes the
 * kernel send a reset, and a client that sends its whole body before reading (botocore,
 * urllib3) or whose answer was still in flight would never see the error.
 */
export function drainBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.readableEnded) return;
  // Whatever the body was piped into has failed or is finished with it.
  req.unpipe();
  if (req.destroyed) {
    res.setHeader('connection', 'close');
    return;
  }
  req.resume();
  if (!bodyStillArriving(req)) return;
  res.setHeader('connection', 'close');
  const socket = res.socket;
  if (socket !== null) lingerOnClose(req, socket);
}

/**
 * Whether body bytes may still be on their way. A request without a body is not `complete`
 * until node's parser has finished the message, which is after the request listener began.
 */
function bodyStillArriving(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
}

/**
 * Node ends a `Connection: close` response with `socket.destroySoon()` (end, then destroy once
 * written). For this socket, end and keep reading instead, within the bounds.
 */
function lingerOnClose(req: IncomingMessage, socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket): void {
    if (this.writable) this.end();
    let bytes = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', stop);
      this.destroy();
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > LINGER_MAX_BYTES) stop();
    };
    const timer = setTimeout(stop, LINGER_MAX_MS);
    req.on('data', onData);
    req.once('end', stop);
    this.once('close', () => clearTimeout(timer));
    req.resume();
    if (req.readableEnded) stop();
  };
}
