/**
 * Throughput of checkBody (MD5 + CRC64NVME) on 64 MiB fed in 64 KiB chunks, inline vs worker
 * pool, plus each hash alone. Run: npm run build && node dist/bench/checksum-throughput.js
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Payload } from '../src/auth/types.js';
import { createHasher, type HashName } from '../src/checksum/algorithms.js';
import { checkBody } from '../src/checksum/body-check.js';
import { shutdownHashPool } from '../src/checksum/hash-pool.js';

const TOTAL = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const data = randomBytes(TOTAL);
const mibps = (bytes: number, ns: bigint) => ((bytes / 1048576) / (Number(ns) / 1e9)).toFixed(0);

function chunks(): Readable {
  let off = 0;
  return new Readable({
    read() {
      if (off >= TOTAL) return void this.push(null);
      // A fresh copy per chunk, like a socket would deliver.
      this.push(Buffer.from(data.subarray(off, off + CHUNK)));
      off += CHUNK;
    },
  });
}

async function runCheckBody(inlineLimit: number): Promise<string> {
  const body = chunks();
  const payload: Payload = { body, mode: 'unsigned', length: TOTAL, declaredTrailers: [], trailers: new Map() };
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t = process.hrtime.bigint();
  const check = checkBody({}, payload, { md5: true, defaultAlgorithm: 'CRC64NVME', inlineLimit });
  await pipeline(body, check.stream, sink);
  await check.result();
  const dt = process.hrtime.bigint() - t;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const cpuMs = (cpu.user + cpu.system) / 1000; // process-wide, includes workers
  return `${mibps(TOTAL, dt)} MiB/s (wall ${(Number(dt) / 1e6).toFixed(0)} ms, event loop busy ${elu.active.toFixed(0)} ms, process CPU ${cpuMs.toFixed(0)} ms)`;
}

function runHash(name: HashName): string {
  const t = process.hrtime.bigint();
  const h = createHasher(name);
  for (let i = 0; i < TOTAL; i += CHUNK) h.update(data.subarray(i, i + CHUNK));
  h.digest();
  return mibps(TOTAL, process.hrtime.bigint() - t);
}

const ROUNDS = 5;
for (const name of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'MD5'] as const) {
  const r: string[] = [];
  for (let i = 0; i < ROUNDS; i++) r.push(runHash(name));
  console.log(`${name.padEnd(10)} MiB/s: ${r.join(' ')}`);
}
for (const [label, limit] of [['inline', Infinity], ['worker', 0]] as const) {
  for (let i = 0; i < ROUNDS; i++) console.log(`checkBody md5+CRC64NVME ${label}: ${await runCheckBody(limit)}`);
}
await shutdownHashPool();
