/**
 * Worker thread that hashes body bytes for {@link ../hash-pool.ts}. Data arrives in shared
 * slabs; every `data` message is acknowledged so the sender can reuse the slab and bound the
 * bytes in flight. Messages for unknown (aborted) tasks are acknowledged and otherwise ignored.
 */
import { parentPort } from 'node:worker_threads';
import { createHasher, type Hasher } from './algorithms.js';
import type { ToWorker, FromWorker } from './hash-protocol.js';

const port = parentPort;
if (port === null) throw new Error('hash-worker.js must run in a worker thread');

const tasks = new Map<number, Hasher[]>();
const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'start':
      tasks.set(m.id, m.names.map(createHasher));
      return;
    case 'data': {
      const hashers = tasks.get(m.id);
      if (hashers !== undefined) {
        const view = new Uint8Array(m.slab, 0, m.len);
        try {
          for (const h of hashers) h.update(view);
        } catch (err) {
          tasks.delete(m.id);
          send({ t: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
        }
      }
      send({ t: 'ack', id: m.id, seq: m.seq });
      return;
    }
    case 'end': {
      const hashers = tasks.get(m.id);
      tasks.delete(m.id);
      if (hashers === undefined) return; // aborted, or failed and already reported
      const digests = hashers.map((h) => {
        const d = h.digest();
        // A fresh ArrayBuffer per digest so it can be transferred (pooled Buffers cannot).
        return new Uint8Array(d).buffer;
      });
      send({ t: 'done', id: m.id, digests }, digests);
      return;
    }
    case 'abort':
      tasks.delete(m.id);
      return;
  }
});
