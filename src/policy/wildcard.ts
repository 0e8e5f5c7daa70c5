import type { Pattern } from './types.js';

/**
 * IAM wildcards: `*` stands for any run of characters (`/` and `:` included) and `?` for one
 * character; everything else matches itself. Object keys may hold any character, newlines
 * too, so `*` is `[\s\S]*`, never `.*`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */
export function compilePattern(source: string, caseInsensitive = false): Pattern {
  let re = '^';
  for (const ch of source) {
    if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  re += '$';
  return { source, regex: new RegExp(re, caseInsensitive ? 'iu' : 'u') };
}

export const matchPattern = (pattern: Pattern, value: string): boolean => pattern.regex.test(value);

/** One-off match (condition values compiled per use, tests). */
export const wildcardMatch = (pattern: string, value: string, caseInsensitive = false): boolean =>
  compilePattern(pattern, caseInsensitive).regex.test(value);
