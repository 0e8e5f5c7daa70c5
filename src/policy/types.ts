/**
 * Access policies (the AWS policy grammar) as Strongbox holds them once parsed. Bucket
 * policies use them today; identity policies (IAM users, groups) will reuse the same types
 * and the same evaluator.
 */

/** Who sent a request, as policies see it. */
export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly accountId: string; readonly name: string };

/**
 * The condition keys of one request, looked up by lower-case name (condition key names
 * are case-insensitive). undefined: the request has no such key (the `Null` operator's "true").
 */
export type ConditionLookup = (key: string) => readonly string[] | undefined;

/** What a policy is asked about. */
export interface PolicyRequest {
  readonly principal: Principal;
  /** IAM action, e.g. `s3:GetObject`. */
  readonly action: string;
  /** ARN of the resource, e.g. `arn:aws:s3:::bucket/key`. */
  readonly resource: string;
  readonly conditions: ConditionLookup;
}

/**
 * The outcome of evaluating policies: an explicit deny, an explicit allow, or no statement
 * applied (the caller's default decides: the bucket owner is allowed, anyone else is not).
 */
export type Decision = 'deny' | 'allow' | 'none';

/**
 * A `*`/`?` pattern, compiled once and matched by src/policy/wildcard.ts (never a regular
 * expression: policy text is attacker-controlled, see there).
 */
export interface Pattern {
  readonly source: string;
  readonly caseInsensitive: boolean;
  /** Code points of the (lower-cased, if caseInsensitive) source; `*` and `?` as negative markers. */
  readonly units: Int32Array;
}

/** One name of `Principal`/`NotPrincipal`. */
export type PrincipalMatcher =
  /** `"*"` or `{"AWS": "*"}`: everyone, anonymous requests included. */
  | { readonly kind: 'everyone' }
  /** An account id or `arn:aws:iam::<id>:root`: every user of the account. */
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'user'; readonly accountId: string; readonly name: string }
  /** `{"CanonicalUser": id}`; a user's canonical id is the user name (src/s3/owner.ts). */
  | { readonly kind: 'canonical'; readonly id: string }
  /** `{"Service": …}`: accepted, and matches no request Strongbox receives. */
  | { readonly kind: 'service'; readonly name: string };

export interface ConditionClause {
  /** The operator as written, e.g. `StringNotEqualsIfExists` or `ForAnyValue:StringLike`. */
  readonly operator: string;
  /** Lower case. */
  readonly key: string;
  /** Given the request's values of `key` (undefined: absent), whether the clause holds. */
  readonly test: (values: readonly string[] | undefined) => boolean;
}

export interface Statement {
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  readonly principals: readonly PrincipalMatcher[];
  /** NotPrincipal: the statement applies to everyone the list does not name. */
  readonly notPrincipal: boolean;
  readonly actions: readonly Pattern[];
  readonly notAction: boolean;
  readonly resources: readonly Pattern[];
  readonly notResource: boolean;
  readonly conditions: readonly ConditionClause[];
}

export interface Policy {
  readonly version: '2012-10-17' | '2008-10-17';
  readonly id: string | undefined;
  readonly statements: readonly Statement[];
}

/**
 * A policy document that is not valid. `message` is Amazon's wording, sent to the client
 * as `400 MalformedPolicy`.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code = 'STRONGBOX_POLICY_MALFORMED';
}
