/**
 * The one runner of the property-based fuzz tests (fast-check). Every parser that faces the
 * network has a file `test/fuzz/<parser>.fuzz.test.ts` calling `fuzz()` / `fuzzAsync()`.
 *
 * Runs per property come from one place:
 * - `FUZZ_RUNS` (set by `npm run fuzz` to 100,000), else 1,000, which `npm test` runs;
 * - `FUZZ_SEED` (and `FUZZ_PATH`, both printed by fast-check when a property fails) replay a
 *   failing run exactly: `FUZZ_SEED=-1234 FUZZ_PATH=0:1:3 node --test dist/test/fuzz/x.fuzz.test.js`.
 * Tests may read the environment; src/ never does (STYLE.md rule 14).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { S3Error } from '../../src/errors/s3-error.js';

const DEFAULT_RUNS = 1000;

function envInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${raw}`);
  return n;
}

/** Runs of a full-weight property. */
export const RUNS = envInteger('FUZZ_RUNS') ?? DEFAULT_RUNS;
const SEED = envInteger('FUZZ_SEED');
const PATH = process.env.FUZZ_PATH;

export interface FuzzOptions {
  /**
   * Share of RUNS for properties whose cases are large by design (documents at their caps):
   * runs = max(minRuns, RUNS × scale). Parsers' main properties leave it at 1.
   */
  readonly scale?: number;
  /** Floor for scaled properties (default 10). */
  readonly minRuns?: number;
}

function parameters(opts: FuzzOptions): fc.Parameters<unknown> & { numRuns: number } {
  const numRuns = opts.scale === undefined ? RUNS : Math.max(opts.minRuns ?? 10, Math.round(RUNS * opts.scale));
  return {
    numRuns,
    // Print the failing assertion under the counterexample (node:test does not show `cause`).
    includeErrorInReport: true,
    ...(SEED === undefined ? {} : { seed: SEED }),
    ...(PATH === undefined || PATH === '' ? {} : { path: PATH }),
  };
}

/**
 * A hang guard, not a timing assertion: generous enough for a loaded 2-core machine, it
 * turns a parser that never returns (or a stream that never ends) into a failing test.
 */
const timeoutFor = (runs: number): number => 120_000 + runs * 20;

/** Checks a synchronous property over `arbitrary`; the test name carries the run count. */
export function fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, property: (value: T) => void, opts: FuzzOptions = {}): void {
  const params = parameters(opts);
  test(`${name} (${params.numRuns} runs)`, { timeout: timeoutFor(params.numRuns) }, () => {
    fc.assert(fc.property(arbitrary, property), params);
  });
}

/** Checks an asynchronous property (streams); each run must settle within 10 s. */
export function fuzzAsync<T>(name: string, arbitrary: fc.Arbitrary<T>, property: (value: T) => Promise<void>, opts: FuzzOptions = {}): void {
  const params = parameters(opts);
  test(`${name} (${params.numRuns} runs)`, { timeout: timeoutFor(params.numRuns) }, async () => {
    await fc.assert(fc.asyncProperty(arbitrary, property), { ...params, timeout: 10_000 });
  });
}

/**
 * Calls `fn`; if it throws, the error must be an S3Error whose code is in `codes`. Returns
 * the value, or undefined when it threw the expected kind.
 */
export function s3Only<T>(codes: readonly string[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    assertS3Error(err, codes);
    return undefined;
  }
}

/** Asserts `err` is an S3Error with a code in `codes` (anything else is a parser bug). */
export function assertS3Error(err: unknown, codes: readonly string[]): asserts err is S3Error {
  if (!(err instanceof S3Error)) {
    assert.fail(`expected an S3Error (${codes.join(', ')}), got ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err)}`);
  }
  assert.ok(codes.includes(err.code), `S3Error ${err.code} (${err.message}) is not one of ${codes.join(', ')}`);
  // Client errors only; NotImplemented (501) is the one documented 5xx a parser may answer.
  const clientError = err.status >= 400 && err.status < 500;
  assert.ok(clientError || (err.code === 'NotImplemented' && err.status === 501), `S3Error ${err.code} has status ${err.status}`);
}

/** Asserts that `fn` throws an error of class `type` (a layer's coded error) and returns it. */
export function throwsOnly<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof type)) {
      assert.fail(`expected a ${type.name}, got ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err)}`);
    }
    return err;
  }
}

// ---- shared arbitraries --------------------------------------------------------------------

/** Splits `data` at random cut points into pieces (some empty), as a socket may deliver it. */
export const cuts = (length: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: Math.min(length + 1, 24) }).map((a) => a.sort((x, y) => x - y));

export function splitAt(data: Buffer, points: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}

/** Well-formed strings of any code points (astral ones included). */
export const unicodeString = (maxLength = 64, minLength = 0): fc.Arbitrary<string> => fc.string({ unit: 'binary', minLength, maxLength });

/** Strings of any code points, or of any UTF-16 code units (lone surrogates included). */
export const anyString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(unicodeString(maxLength), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength }));

/** Strings over a small alphabet, so that generated input hits the grammar's tokens often. */
export const tokens = (alphabet: readonly string[], maxLength = 24): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((a) => a.join(''));

export { fc };
