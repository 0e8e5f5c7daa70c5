import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRASH_POINTS, crashPoint, parseCrashAt } from '../../src/testing/crash-point.js';
import { ConfigError, loadConfig } from '../../src/config.js';

test('parseCrashAt: POINT or POINT:N with a known point and N ≥ 1', () => {
  assert.deepEqual(parseCrashAt('blob-synced'), { point: 'blob-synced', nth: 1 });
  assert.deepEqual(parseCrashAt('complete-committed:7'), { point: 'complete-committed', nth: 7 });
  for (const bad of ['', 'nowhere', 'blob-synced:0', 'blob-synced:-1', 'blob-synced:x', 'BLOB-SYNCED', 'blob-synced:1:2']) {
    assert.equal(parseCrashAt(bad), undefined, bad);
  }
  for (const p of CRASH_POINTS) assert.equal(parseCrashAt(p)?.point, p);
});

test('--crash-at lands in Config.testCrashPoint; absent, it is undefined; a bad value names the flag', () => {
  assert.equal(loadConfig({}, {}).testCrashPoint, undefined);
  assert.deepEqual(loadConfig({ crashAt: 'reseal-committed:3' }, {}).testCrashPoint, { point: 'reseal-committed', nth: 3 });
  assert.throws(() => loadConfig({ crashAt: 'somewhere' }, {}), (err: unknown) => err instanceof ConfigError && err.field === '--crash-at');
});

test('crashPoint does nothing without a crash point, or at another point', () => {
  crashPoint(undefined, 'blob-synced');
  crashPoint({ testCrashPoint: undefined }, 'blob-synced');
  const config = { testCrashPoint: parseCrashAt('object-committed:1') };
  crashPoint(config, 'blob-synced');
  crashPoint(config, 'complete-committed');
  // Reaching here is the assertion: the process is still alive. (The harness tests the kill.)
});
