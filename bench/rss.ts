/**
 * Memory while streaming one 5 GiB object up and down (npm run bench:rss): the issue asks
 * that the server's RSS stays under 300 MiB. Prints one JSON line with the peak RSS of the
 * server process (sampled from /proc) during the PUT and during the GET.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchClient } from './client.js';

const SIZE = Number(process.env.RSS_BENCH_BYTES ?? 5 * 1024 ** 3);
const ak = 'BENCHRSS';
const sk = 'bench-rss-secret';

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function peakDuring<T>(pid: number, work: Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = await rssMiB(pid);
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await rssMiB(pid));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const value = await work;
    return { value, peak };
  } finally {
    running = false;
    await sampler;
  }
}

const dir = await mkdtemp(join(tmpdir(), 'strongbox-rss-'));
const server = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--data', dir, '--listen', '127.0.0.1:0', '--http', '--log-level', 'warn'], {
  env: { ...process.env, STRONGBOX_ROOT_ACCESS_KEY: ak, STRONGBOX_ROOT_SECRET_KEY: sk },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving S3 on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    server.once('exit', () => reject(new Error('server exited')));
  });
  const client = new BenchClient({ endpoint: url, concurrency: 1, accessKeyId: ak, secretAccessKey: sk });
  await client.createBucket('rss');
  const buf = Buffer.alloc(1024 * 1024, 0x5a);
  const baseline = await rssMiB(server.pid!);
  let t = performance.now();
  const put = await peakDuring(server.pid!, client.put('rss', 'big', buf, SIZE));
  const putSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const get = await peakDuring(server.pid!, client.get('rss', 'big', SIZE));
  const getSeconds = (performance.now() - t) / 1000;
  client.close();
  console.log(
    JSON.stringify({
      case: 'rss-5GiB',
      bytes: SIZE,
      baselineRssMiB: Math.round(baseline),
      putPeakRssMiB: Math.round(put.peak),
      getPeakRssMiB: Math.round(get.peak),
      putMiBps: Math.round(SIZE / 2 ** 20 / putSeconds),
      getMiBps: Math.round(SIZE / 2 ** 20 / getSeconds),
      limitMiB: 300,
      met: put.peak < 300 && get.peak < 300,
    }),
  );
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
