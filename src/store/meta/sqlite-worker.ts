/**
 * The metadata writer thread: owns the connection that commits group-committed batches, so
 * the WAL fsync of each commit never blocks the main event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './sqlite-schema.js';
import { BatchWriter, type WriteOp } from './sqlite-writer.js';

export type WorkerRequest =
  | { readonly type: 'batch'; readonly id: number; readonly ops: readonly WriteOp[] }
  | { readonly type: 'close' };

export interface WorkerData {
  readonly path: string;
  readonly reclaimGraceMs: number;
}

const port = parentPort;
if (port === null) throw new Error('sqlite-worker must run as a worker thread');
const data = workerData as WorkerData;
const db = openDatabase(data.path, false);
const writer = new BatchWriter(db, data.reclaimGraceMs);

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'close') {
    db.close();
    port.close();
    return;
  }
  port.postMessage({ id: msg.id, results: writer.applyBatch(msg.ops) });
});
