/**
 * A fixed load against a running server, for profiling by hand (not part of npm run bench):
 *   node dist/bench/load.js URL ACCESS SECRET CASE [ops] [concurrency]
 * CASE: put-4KiB | get-4KiB | head-4KiB | list | put-64MiB
 */
import { BenchClient } from './client.js';

const [url = '', ak = '', sk = '', which = 'head-4KiB', opsArg = '3000', concArg = '8'] = process.argv.slice(2);
const ops = Number(opsArg);
const concurrency = Number(concArg);
const client = new BenchClient({ endpoint: url, concurrency, accessKeyId: ak, secretAccessKey: sk });
const small = Buffer.alloc(4096, 7);
const big = Buffer.alloc(64 * 1024 * 1024, 9);
await client.createBucket('load').catch(() => undefined);
for (let i = 0; i < 200; i++) await client.put('load', `small/${i}`, small, small.length);
const started = process.hrtime.bigint();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < ops) {
      const i = next++;
      if (which === 'put-4KiB') await client.put('load', `small/p${i}`, small, small.length);
      else if (which === 'get-4KiB') await client.get('load', `small/${i % 200}`, 4096);
      else if (which === 'head-4KiB') await client.head('load', `small/${i % 200}`, 4096);
      else if (which === 'list') await client.list('load', 'small/', 1000);
      else await client.put('load', `big/${i}`, big, big.length);
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ case: which, ops, seconds, opsps: ops / seconds }));
client.close();
