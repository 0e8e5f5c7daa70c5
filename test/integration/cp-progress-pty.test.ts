/**
 * The progress bar of `strongbox cp` (issue 5): under a pseudo-terminal (util-linux `script`)
 * a 256 MiB upload shows the bar advancing, with throughput and ETA, up to 100%; with plain
 * pipes there is no bar at all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MAIN_JS, clientEnv, run, s3Client, startServer, type TestServer } from './harness.js';

const MiB = 1024 * 1024;
/** cli-progress's shades_classic bar characters. */
const BAR_CHARS = /[\u2588\u2591]/;
const hasScript = spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status === 0;
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('strongbox cp progress', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const bucket = `cp-progress-${process.pid}`;

  before(async () => {
    server = await startServer({ http: true });
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    work = mkdtempSync(join(tmpdir(), 'sb-cp-pty-'));
    env = { ...clientEnv(server, server.root), TERM: 'xterm' };
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** A sparse file of `size` bytes: zeros, without writing them. */
  const sparse = async (name: string, size: number) => {
    const path = join(work, name);
    await writeFile(path, '');
    await truncate(path, size);
    return path;
  };

  it('shows the bar advancing with throughput and ETA on a terminal', { skip: hasScript ? false : 'util-linux `script` is not installed (apt-get install bsdutils)' }, async () => {
    const path = await sparse('big.bin', 256 * MiB);
    const command = [process.execPath, MAIN_JS, 'cp', path, `s3://${bucket}/big.bin`, '--endpoint', server.url].map(shellQuote).join(' ');
    // -q: no banner, -f: flush as written, -e: the command's exit status, -c: the command.
    const r = await run('script', ['-qfec', command, '/dev/null'], { env, timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const text = r.stdout;
    const percents = [...text.matchAll(/ (\d{1,3})% \| /g)].map((m) => Number(m[1]));
    const between = new Set(percents.filter((p) => p > 0 && p < 100));
    assert.ok(between.size >= 2, `intermediate percentages: ${[...between].join(', ')}`);
    assert.equal(percents.at(-1), 100, 'the bar ends at 100%');
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'the bar never goes back');
    assert.match(text, BAR_CHARS);
    assert.match(text, /\| \d+(\.\d+)? (B|KiB|MiB|GiB)\/s \| /, 'throughput');
    assert.match(text, /\| ETA \d+s \| /, 'ETA');
    assert.match(text, /256\.0 MiB \/ 256\.0 MiB/);
    assert.match(text, new RegExp(`upload: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} to s3://${bucket}/big\\.bin`));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    assert.equal(head.ContentLength, 256 * MiB);
  });

  it('draws no bar when stderr is a pipe', async () => {
    const path = await sparse('piped.bin', 24 * MiB);
    const r = await run(process.execPath, [MAIN_JS, 'cp', path, `s3://${bucket}/piped.bin`, '--endpoint', server.url], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr but errors');
    assert.doesNotMatch(r.stdout, BAR_CHARS);
    assert.doesNotMatch(r.stdout, /ETA|\x1b\[/);
    assert.match(r.stdout, /^upload: .*piped\.bin to s3:\/\/.*\/piped\.bin\nuploaded 1 file, 24\.0 MiB in /m);
  });
});
