import { BlockList, isIP } from 'node:net';
import { compileArnPattern, compilePattern, matchArn, matchPattern } from './wildcard.js';
import { PolicyError, type ConditionClause } from './types.js';

/**
 * The `Condition` element: `{ Operator: { key: value | [values] } }`, every clause must hold.
 * Semantics as IAM documents them: a positive operator is false when the request lacks the
 * key, a negated one (`StringNotEquals`, `NotIpAddress` …) true; `…IfExists` is true when
 * the key is absent; `ForAnyValue:`/`ForAllValues:` test each value of the request's key.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
export const INVALID_JSON = 'This policy contains invalid Json';
export const INVALID_CONDITION_KEY = 'Policy has an invalid condition key';
export const INVALID_IP = 'Invalid IP address in Conditions';

/** Tests one request value against the statement's values (any of them). */
type ValueTest = (value: string) => boolean;
interface OperatorDef {
  readonly negated: boolean;
  readonly compile: (values: readonly string[]) => ValueTest;
}

const equals = (values: readonly string[]): ValueTest => (v) => values.includes(v);
const equalsIgnoreCase = (values: readonly string[]): ValueTest => {
  const lower = values.map((x) => x.toLowerCase());
  return (v) => lower.includes(v.toLowerCase());
};
const like = (values: readonly string[]): ValueTest => {
  const patterns = values.map((x) => compilePattern(x));
  return (v) => patterns.some((p) => matchPattern(p, v));
};
/** ARN operators: wildcards within each of the ARN's six components (wildcard.ts). */
const arnLike = (values: readonly string[]): ValueTest => {
  const patterns = values.map(compileArnPattern);
  return (v) => patterns.some((p) => matchArn(p, v));
};

const number = (s: string): number => (s.trim() === '' ? NaN : Number(s));
const numeric = (cmp: (a: number, b: number) => boolean) => (values: readonly string[]): ValueTest => {
  const nums = values.map(number);
  return (v) => {
    const n = number(v);
    return !Number.isNaN(n) && nums.some((x) => !Number.isNaN(x) && cmp(n, x));
  };
};

/** ISO 8601 or seconds since the epoch, as IAM accepts both. */
const instant = (s: string): number => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));
const date = (cmp: (a: number, b: number) => boolean) => (values: readonly string[]): ValueTest => {
  const times = values.map(instant);
  return (v) => {
    const t = instant(v);
    return !Number.isNaN(t) && times.some((x) => !Number.isNaN(x) && cmp(t, x));
  };
};

const bool = (values: readonly string[]): ValueTest => equalsIgnoreCase(values);

/** `::ffff:a.b.c.d` (an IPv4 client on a dual-stack socket) is a.b.c.d. */
export function normalizeIp(ip: string): string {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
}

const ipAddress = (values: readonly string[]): ValueTest => {
  const list = new BlockList();
  for (const value of values) {
    const [address = '', prefix] = value.split('/', 2);
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (family === 0 || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new PolicyError(INVALID_IP);
    list.addSubnet(normalizeIp(address), bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return (v) => {
    const ip = normalizeIp(v);
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  };
};

const OPERATORS: Readonly<Record<string, OperatorDef>> = {
  StringEquals: { negated: false, compile: equals },
  StringNotEquals: { negated: true, compile: equals },
  StringEqualsIgnoreCase: { negated: false, compile: equalsIgnoreCase },
  StringNotEqualsIgnoreCase: { negated: true, compile: equalsIgnoreCase },
  StringLike: { negated: false, compile: like },
  StringNotLike: { negated: true, compile: like },
  NumericEquals: { negated: false, compile: numeric((a, b) => a === b) },
  NumericNotEquals: { negated: true, compile: numeric((a, b) => a === b) },
  NumericLessThan: { negated: false, compile: numeric((a, b) => a < b) },
  NumericLessThanEquals: { negated: false, compile: numeric((a, b) => a <= b) },
  NumericGreaterThan: { negated: false, compile: numeric((a, b) => a > b) },
  NumericGreaterThanEquals: { negated: false, compile: numeric((a, b) => a >= b) },
  DateEquals: { negated: false, compile: date((a, b) => a === b) },
  DateNotEquals: { negated: true, compile: date((a, b) => a === b) },
  DateLessThan: { negated: false, compile: date((a, b) => a < b) },
  DateLessThanEquals: { negated: false, compile: date((a, b) => a <= b) },
  DateGreaterThan: { negated: false, compile: date((a, b) => a > b) },
  DateGreaterThanEquals: { negated: false, compile: date((a, b) => a >= b) },
  Bool: { negated: false, compile: bool },
  BinaryEquals: { negated: false, compile: equals },
  IpAddress: { negated: false, compile: ipAddress },
  NotIpAddress: { negated: true, compile: ipAddress },
  // ARN operators take wildcards in both forms.
  ArnEquals: { negated: false, compile: arnLike },
  ArnLike: { negated: false, compile: arnLike },
  ArnNotEquals: { negated: true, compile: arnLike },
  ArnNotLike: { negated: true, compile: arnLike },
};

/**
 * S3's own condition keys (lower case); `s3:` keys outside this list are refused. Keys of
 * other services (`aws:` above all, which AWS keeps adding to) are accepted, and a key a
 * request does not carry is absent at evaluation.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 */
const S3_CONDITION_KEYS = new Set(
  [
    'AccessGrantsInstanceArn', 'AccessPointNetworkOrigin', 'authType', 'DataAccessPointAccount',
    'DataAccessPointArn', 'delimiter', 'ExistingJobOperation', 'ExistingJobPriority',
    'if-match', 'if-none-match', 'JobSuspendedCause', 'LocationConstraint', 'max-keys',
    'object-lock-legal-hold', 'object-lock-mode', 'object-lock-remaining-retention-days',
    'object-lock-retain-until-date', 'ObjectCreationOperation', 'prefix', 'RequestJobOperation',
    'RequestJobPriority', 'RequestObjectTagKeys', 'ResourceAccount', 'signatureAge',
    'signatureversion', 'TlsVersion', 'versionid', 'x-amz-acl', 'x-amz-content-sha256',
    'x-amz-copy-source', 'x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp',
    'x-amz-grant-write', 'x-amz-grant-write-acp', 'x-amz-metadata-directive',
    'x-amz-object-ownership', 'x-amz-server-side-encryption',
    'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-server-side-encryption-customer-algorithm',
    'x-amz-storage-class', 'x-amz-website-redirect-location',
  ].map((k) => `s3:${k.toLowerCase()}`),
);
const S3_TAG_KEYS = /^s3:(existingobjecttag|requestobjecttag|buckettag)\/.+$/;
const KEY_SYNTAX = /^[a-z0-9-]+:[^\s]+$/;

function checkKey(key: string): void {
  if (!KEY_SYNTAX.test(key)) throw new PolicyError(INVALID_CONDITION_KEY);
  if (key.startsWith('s3:') && !S3_CONDITION_KEYS.has(key) && !S3_TAG_KEYS.test(key)) {
    throw new PolicyError(INVALID_CONDITION_KEY);
  }
}

function conditionValues(value: unknown): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new PolicyError(INVALID_JSON);
  });
}

function clauseTest(operator: string, values: readonly string[]): ConditionClause['test'] | undefined {
  let name = operator;
  let set: 'any' | 'all' | undefined;
  if (name.startsWith('ForAnyValue:')) [set, name] = ['any', name.slice('ForAnyValue:'.length)];
  else if (name.startsWith('ForAllValues:')) [set, name] = ['all', name.slice('ForAllValues:'.length)];
  if (name === 'Null') {
    if (set !== undefined) return undefined;
    const wanted = values.map((v) => v.toLowerCase());
    // "true": the key must be absent; "false": present.
    return (present) => wanted.some((w) => (w === 'true' ? present === undefined : w === 'false' ? present !== undefined : false));
  }
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  const def = Object.hasOwn(OPERATORS, name) ? OPERATORS[name] : undefined;
  if (def === undefined) return undefined;
  const matches = def.compile(values);
  const one = (v: string): boolean => matches(v) !== def.negated;
  return (present) => {
    if (present === undefined) {
      if (set === 'all' || ifExists) return true;
      if (set === 'any') return false;
      return def.negated;
    }
    if (set === 'all') return present.every(one);
    if (set === 'any') return present.some(one);
    // A single-valued key: the request value matches (or, negated, matches none of) the values.
    return def.negated ? !present.some(matches) : present.some(matches);
  };
}

/** Parses a `Condition` element; throws PolicyError with Amazon's message. */
export function parseConditions(value: unknown): ConditionClause[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PolicyError(INVALID_JSON);
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) throw new PolicyError(INVALID_JSON);
    if (!isConditionOperator(operator)) throw new PolicyError(`Invalid Condition type : ${operator}`);
    for (const [rawKey, raw] of Object.entries(block as Record<string, unknown>)) {
      const key = rawKey.toLowerCase();
      const values = conditionValues(raw);
      const test = clauseTest(operator, values);
      if (test === undefined) throw new PolicyError(`Invalid Condition type : ${operator}`);
      checkKey(key);
      clauses.push({ operator, key, test });
    }
  }
  return clauses;
}

/** Whether an operator name is one IAM defines (with its IfExists and set forms). */
export const isConditionOperator = (operator: string): boolean => clauseTest(operator, []) !== undefined;
