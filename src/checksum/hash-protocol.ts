/** Messages between the main thread ({@link ./hash-pool.ts}) and hash-worker.js. @internal */
import type { HashName } from './algorithms.js';

export type ToWorker =
  | { readonly t: 'start'; readonly id: number; readonly names: readonly HashName[] }
  | { readonly t: 'data'; readonly id: number; readonly seq: number; readonly slab: SharedArrayBuffer; readonly len: number }
  | { readonly t: 'end'; readonly id: number }
  | { readonly t: 'abort'; readonly id: number };

export type FromWorker =
  | { readonly t: 'ack'; readonly id: number; readonly seq: number }
  | { readonly t: 'done'; readonly id: number; readonly digests: readonly ArrayBuffer[] }
  | { readonly t: 'error'; readonly id: number; readonly message: string };
