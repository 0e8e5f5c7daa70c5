import type { Pattern } from './types.js';

/**
 * IAM wildcards, the one matcher for every pattern a policy holds (Resource, NotResource,
 * Action, NotAction, the StringLike and ArnLike condition families): `*` stands for any run
 * of characters (`/` and `:` included, newlines too: object keys may hold any character) and
 * `?` for exactly one character; everything else matches itself.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
 *
 * Policy text is written by whoever owns a bucket and matched against requests from anyone,
 * anonymous ones included, on the event loop. A regular expression built from it backtracks
 * exponentially on a miss (`*a*a*a…*ab` against a long key took 12 s with 10 wildcards), so
 * patterns are matched by a two-pointer glob that never backtracks further than the last `*`:
 * at most (P + 1) × (T + 1) steps for a pattern of P and a text of T characters
 * (test/policy/wildcard.test.ts counts them). A character is a code point, as in IAM.
 */

/** Counts the work of matches, for tests of the worst case (never timed). @internal */
export interface MatchStats {
  steps: number;
}

const STAR = -1;
const ONE = -2;

/** The code points of a pattern, `*` as STAR and `?` as ONE. */
function compileUnits(source: string): Int32Array {
  const out: number[] = [];
  for (const ch of source) out.push(ch === '*' ? STAR : ch === '?' ? ONE : ch.codePointAt(0)!);
  return Int32Array.from(out);
}

/** Compiles a `*`/`?` pattern; `caseInsensitive` for actions, whose names compare without case. */
export function compilePattern(source: string, caseInsensitive = false): Pattern {
  return { source, caseInsensitive, units: compileUnits(caseInsensitive ? source.toLowerCase() : source) };
}

/** Length in UTF-16 units of the code point `cp`. */
const width = (cp: number): number => (cp > 0xffff ? 2 : 1);

/**
 * Whether `text` is matched by the compiled pattern `p` as a whole. Greedy two-pointer glob:
 * on a mismatch it resumes after the last `*`, one character further into the text; earlier
 * stars never need revisiting, since the last one can absorb whatever they would have.
 */
function globUnits(p: Int32Array, text: string, stats: MatchStats | undefined): boolean {
  let pi = 0;
  let ti = 0;
  let starPi = -1;
  let starTi = 0;
  let steps = 0;
  while (ti < text.length) {
    steps++;
    const cp = text.codePointAt(ti)!;
    const u = pi < p.length ? p[pi]! : undefined;
    if (u === ONE || u === cp) {
      pi++;
      ti += width(cp);
    } else if (u === STAR) {
      starPi = pi++;
      starTi = ti;
    } else if (starPi >= 0) {
      // The last star takes one more character; the pattern resumes right after it.
      pi = starPi + 1;
      starTi += width(text.codePointAt(starTi)!);
      ti = starTi;
    } else {
      if (stats !== undefined) stats.steps += steps;
      return false;
    }
  }
  while (pi < p.length && p[pi] === STAR) {
    steps++;
    pi++;
  }
  if (stats !== undefined) stats.steps += steps;
  return pi === p.length;
}

/** Whether `value` matches `pattern` as a whole. `stats`, if given, adds the steps taken. */
export function matchPattern(pattern: Pattern, value: string, stats?: MatchStats): boolean {
  return globUnits(pattern.units, pattern.caseInsensitive ? value.toLowerCase() : value, stats);
}

/** One-off match (tests, and a bucket name against a resource's bucket part). */
export const wildcardMatch = (pattern: string, value: string, caseInsensitive = false, stats?: MatchStats): boolean =>
  matchPattern(compilePattern(pattern, caseInsensitive), value, stats);

/** An ARN has six colon-separated components; the last (the resource) may hold colons itself. */
const ARN_COMPONENTS = 6;

/** Splits at the first `parts - 1` colons; undefined if there are fewer. */
function splitArn(s: string, parts: number): string[] | undefined {
  const out: string[] = [];
  let from = 0;
  for (let i = 1; i < parts; i++) {
    const colon = s.indexOf(':', from);
    if (colon === -1) return undefined;
    out.push(s.slice(from, colon));
    from = colon + 1;
  }
  out.push(s.slice(from));
  return out;
}

/** A compiled ArnLike/ArnEquals value: one pattern per ARN component. */
export interface ArnPattern {
  readonly source: string;
  readonly components: readonly Pattern[];
}

/**
 * ArnLike/ArnEquals: "each of the six colon-delimited components of the ARN is checked
 * separately and each can include a multi-character match wildcard (*) or a single-character
 * match wildcard (?)", so a `*` in the account does not run on into the resource. A value
 * with fewer components (`*`, `arn:aws:s3:::*`… have all six or absorb the rest in their last)
 * has its last component match the rest of the ARN.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function compileArnPattern(source: string): ArnPattern {
  const count = Math.min(ARN_COMPONENTS, source.split(':', ARN_COMPONENTS).length);
  return { source, components: splitArn(source, count)!.map((c) => compilePattern(c)) };
}

/** Whether the ARN `value` matches, component by component. */
export function matchArn(pattern: ArnPattern, value: string, stats?: MatchStats): boolean {
  const parts = splitArn(value, pattern.components.length);
  return parts !== undefined && pattern.components.every((c, i) => matchPattern(c, parts[i]!, stats));
}
