/**
 * Store throughput figures (not a test: prints numbers, asserts nothing).
 * Run: node dist/test/store/measure.js --run
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, open as openFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openFsBlobStore } from '../../src/store/blob/fs.js';
import { openSqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { objectRecord, T0 } from './helpers.js';

const CHUNK = 64 * 1024;
const BIG = 64 * 1024 * 1024;

function chunks(total: number): Readable {
  const piece = randomBytes(CHUNK);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      left -= CHUNK;
      this.push(Buffer.from(piece)); // a fresh buffer, as a socket would give
    },
  });
}

async function smallPuts(dir: string, writer: 'thread' | 'inline', seconds: number): Promise<number> {
  const meta = openSqliteMetaStore(dir, { writer });
  const blobs = openFsBlobStore(dir);
  await meta.createBucket({ name: 'b', owner: 'a', createdAt: T0, region: 'r' });
  const body = randomBytes(4096);
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const bw = blobs.createWriter(4096);
      bw.end(body);
      const seg = await bw.finish();
      await meta.putObject(objectRecord('b', `w${w}/${i}`, { size: 4096, segments: [{ blob: seg, size: 4096 }] }));
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  const rate = n / ((performance.now() - t0) / 1000);
  await meta.close();
  await blobs.close();
  return rate;
}

async function bigWrite(dir: string, coalesce: number): Promise<number> {
  const blobs = openFsBlobStore(dir, { writeCoalesce: coalesce });
  const t0 = performance.now();
  const w = blobs.createWriter(BIG);
  await pipeline(chunks(BIG), w);
  const seg = await w.finish();
  const ms = performance.now() - t0;
  await blobs.delete([seg]);
  return BIG / 1048576 / (ms / 1000);
}

async function bareWrite(dir: string): Promise<number> {
  const path = join(dir, 'bare');
  const t0 = performance.now();
  const ws: Writable = createWriteStream(path);
  await pipeline(chunks(BIG), ws);
  const fh = await openFile(path, 'r+');
  await fh.datasync();
  await fh.close();
  const ms = performance.now() - t0;
  await rm(path);
  return BIG / 1048576 / (ms / 1000);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strongbox-measure-'));
  try {
    for (const writer of ['thread', 'inline'] as const) {
      const d = await mkdtemp(join(dir, writer));
      console.log(`4 KiB inline PUT (blob + putObject), concurrency 8, writer=${writer}: ${(await smallPuts(d, writer, 3)).toFixed(0)} ops/s`);
    }
    for (let round = 0; round < 2; round++) {
      console.log(`64 MiB, 64 KiB chunks, bare createWriteStream + fdatasync: ${(await bareWrite(dir)).toFixed(0)} MiB/s`);
      for (const c of [256 * 1024, 1024 * 1024, 4 * 1024 * 1024]) {
        console.log(`64 MiB, 64 KiB chunks, blob writer (coalesce ${c / 1024} KiB): ${(await bigWrite(dir, c)).toFixed(0)} MiB/s`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--run')) await main();
