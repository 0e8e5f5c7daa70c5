import { actionKinds, compileAction, type ResourceKind } from './actions.js';
import { INVALID_JSON, parseConditions } from './conditions.js';
import { checkPrincipalExists, parsePrincipal, type PrincipalDirectory } from './principals.js';
import { PolicyError, type Pattern, type Policy, type Statement } from './types.js';
import { compilePattern, wildcardMatch } from './wildcard.js';

/**
 * Parses a policy document (the grammar of IAM's policy reference, as S3 accepts it for
 * bucket policies) into compiled statements. Every fault is a PolicyError whose message is
 * the one Amazon S3 answers PutBucketPolicy with (`400 MalformedPolicy`).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export const MESSAGES = {
  firstByte: "Policies must be valid JSON and the first byte must be '{'",
  invalidJson: INVALID_JSON,
  version: 'The policy must contain a valid version string',
  noStatement: 'Missing required field Statement',
  emptyStatement: 'Could not parse the policy: Statement is empty!',
  noEffect: 'Missing required field Effect',
  noPrincipal: 'Missing required field Principal',
  noAction: 'Missing required field Action',
  noResource: 'Missing required field Resource',
  invalidAction: 'Policy has invalid action',
  invalidResource: 'Policy has invalid resource',
  actionResourceMismatch: 'Action does not apply to any resource(s) in statement',
} as const;

const VERSIONS = ['2012-10-17', '2008-10-17'] as const;
const POLICY_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const S3_ARN = 'arn:aws:s3:::';

const fail = (message: string): never => {
  throw new PolicyError(message);
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A string or a non-empty list of strings. */
function stringList(value: unknown, message: string): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string' && v !== '')) fail(message);
  return list as string[];
}

/** The part of a resource ARN after `arn:aws:s3:::`; undefined if it is no S3 bucket or object ARN. */
function resourcePath(arn: string): string | undefined {
  if (!arn.startsWith(S3_ARN)) return undefined;
  const path = arn.slice(S3_ARN.length);
  return path === '' || path.startsWith('/') ? undefined : path;
}

/** Which kinds of resource a resource pattern can name (a `*` can run on into an object key). */
function resourceKinds(path: string): ResourceKind[] {
  const kinds: ResourceKind[] = [];
  if (!path.includes('/')) kinds.push('bucket');
  if (path.includes('/') || path.includes('*')) kinds.push('object');
  return kinds;
}

function parseStatement(raw: unknown): Statement {
  if (!isObject(raw)) return fail(MESSAGES.invalidJson);
  for (const field of Object.keys(raw)) if (!STATEMENT_FIELDS.has(field)) fail(`Unknown field ${field}`);

  const sid = raw.Sid;
  if (sid !== undefined && typeof sid !== 'string') return fail(MESSAGES.invalidJson);
  const effect = raw.Effect;
  if (effect === undefined) fail(MESSAGES.noEffect);
  // Not String(effect): it runs a "toString" member the document may define, and throws.
  if (effect !== 'Allow' && effect !== 'Deny') return fail(`Invalid effect: ${typeof effect === 'string' ? effect : JSON.stringify(effect)}`);

  if (raw.Principal === undefined && raw.NotPrincipal === undefined) fail(MESSAGES.noPrincipal);
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) fail('Invalid principal in policy');
  const notPrincipal = raw.Principal === undefined;
  const principals = parsePrincipal(notPrincipal ? raw.NotPrincipal : raw.Principal);

  if (raw.Action === undefined && raw.NotAction === undefined) fail(MESSAGES.noAction);
  if (raw.Action !== undefined && raw.NotAction !== undefined) fail(MESSAGES.invalidAction);
  const notAction = raw.Action === undefined;
  const actions = stringList(notAction ? raw.NotAction : raw.Action, MESSAGES.invalidAction).map(
    (a) => compileAction(a) ?? fail(MESSAGES.invalidAction),
  );

  if (raw.Resource === undefined && raw.NotResource === undefined) fail(MESSAGES.noResource);
  if (raw.Resource !== undefined && raw.NotResource !== undefined) fail(MESSAGES.invalidResource);
  const notResource = raw.Resource === undefined;
  const resourceArns = stringList(notResource ? raw.NotResource : raw.Resource, MESSAGES.invalidResource);
  const kinds = new Set<ResourceKind>();
  const resources: Pattern[] = resourceArns.map((arn) => {
    const path = resourcePath(arn) ?? fail(MESSAGES.invalidResource);
    for (const kind of resourceKinds(path)) kinds.add(kind);
    return compilePattern(arn);
  });

  const conditions = raw.Condition === undefined ? [] : parseConditions(raw.Condition);

  // Each action must apply to at least one of the resources (NotResource names everything else).
  if (!notAction && !notResource) {
    for (const action of actions) {
      if (![...actionKinds(action)].some((k) => kinds.has(k))) fail(MESSAGES.actionResourceMismatch);
    }
  }
  return { sid, effect, principals, notPrincipal, actions, notAction, resources, notResource, conditions };
}

/** Parses and compiles a policy document. */
export function parsePolicy(text: string): Policy {
  // JSON's own whitespace only (RFC 8259 §2): trimStart() also drops U+2028, U+00A0 and a
  // BOM, which JSON.parse refuses, so such a text passed here but was no JSON when stored.
  const trimmed = text.replace(/^[ \t\n\r]+/, '');
  if (!trimmed.startsWith('{')) fail(MESSAGES.firstByte);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    return fail(MESSAGES.invalidJson);
  }
  if (!isObject(doc)) return fail(MESSAGES.invalidJson);
  for (const field of Object.keys(doc)) if (!POLICY_FIELDS.has(field)) fail(`Unknown field ${field}`);
  // Without a Version, IAM reads the policy as 2008-10-17.
  const version = doc.Version ?? '2008-10-17';
  if (!VERSIONS.includes(version as (typeof VERSIONS)[number])) fail(MESSAGES.version);
  const id = doc.Id;
  if (id !== undefined && typeof id !== 'string') fail(MESSAGES.invalidJson);
  if (doc.Statement === undefined) fail(MESSAGES.noStatement);
  const raw = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : [doc.Statement];
  if (raw.length === 0) fail(MESSAGES.emptyStatement);
  return {
    version: version as Policy['version'],
    id: id as string | undefined,
    statements: raw.map(parseStatement),
  };
}

/** What a bucket policy is checked against when it is put. */
export interface BucketPolicyTarget {
  readonly bucket: string;
  readonly directory: PrincipalDirectory;
}

/**
 * The checks that depend on the bucket and the server: every resource must be able to name
 * this bucket or its objects (S3 refuses another bucket's ARN), every principal must exist.
 */
export function validateBucketPolicy(policy: Policy, target: BucketPolicyTarget): void {
  for (const statement of policy.statements) {
    for (const resource of statement.resources) {
      const path = resourcePath(resource.source) ?? '';
      const slash = path.indexOf('/');
      const bucketPart = slash === -1 ? path : path.slice(0, slash);
      if (!wildcardMatch(bucketPart, target.bucket)) fail(MESSAGES.invalidResource);
    }
    for (const principal of statement.principals) checkPrincipalExists(principal, target.directory);
  }
}
