import { PolicyError, type Principal, type PrincipalMatcher } from './types.js';

/**
 * `Principal` and `NotPrincipal`: `"*"`, or an object whose `AWS` member names accounts and
 * users (`"*"`, a 12-digit account id, `arn:aws:iam::<account>:root`,
 * `arn:aws:iam::<account>:user/<path/><name>`), one name or a list. `CanonicalUser` and
 * `Service` are accepted too; anything else is "Invalid principal in policy".
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 */
export const INVALID_PRINCIPAL = 'Invalid principal in policy';

const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:aws:iam::(\d{12}):root$/;
const USER_ARN = /^arn:aws:iam::(\d{12}):user\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;

const invalid = () => new PolicyError(INVALID_PRINCIPAL);

const asList = (value: unknown): string[] => {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string' && v !== '')) throw invalid();
  return list;
};

function awsPrincipal(name: string): PrincipalMatcher {
  if (name === '*') return { kind: 'everyone' };
  if (ACCOUNT_ID.test(name)) return { kind: 'account', accountId: name };
  const root = ROOT_ARN.exec(name);
  if (root !== null) return { kind: 'account', accountId: root[1]! };
  const user = USER_ARN.exec(name);
  if (user !== null) return { kind: 'user', accountId: user[1]!, name: user[2]! };
  throw invalid();
}

export function parsePrincipal(value: unknown): PrincipalMatcher[] {
  if (value === '*') return [{ kind: 'everyone' }];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid();
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw invalid();
  const out: PrincipalMatcher[] = [];
  for (const [type, names] of entries) {
    switch (type) {
      case 'AWS':
        out.push(...asList(names).map(awsPrincipal));
        break;
      case 'CanonicalUser':
        out.push(...asList(names).map((id) => ({ kind: 'canonical', id }) as const));
        break;
      case 'Service':
        out.push(...asList(names).map((name) => ({ kind: 'service', name }) as const));
        break;
      default:
        throw invalid();
    }
  }
  return out;
}

/** Whether a principal of a statement names the requester. */
export function principalMatches(matcher: PrincipalMatcher, who: Principal): boolean {
  switch (matcher.kind) {
    case 'everyone':
      return true;
    case 'account':
      return who.kind === 'user' && who.accountId === matcher.accountId;
    case 'user':
      return who.kind === 'user' && who.accountId === matcher.accountId && who.name === matcher.name;
    case 'canonical':
      return who.kind === 'user' && who.name === matcher.id;
    case 'service':
      return false;
  }
}

/** The users and accounts a server has, for checking the principals of a policy being put. */
export interface PrincipalDirectory {
  readonly accountId: string;
  userExists(name: string): boolean;
}

/**
 * Amazon refuses a policy naming a principal that does not exist. Here the one account is
 * the server's, and its users are those `strongbox user add` made.
 */
export function checkPrincipalExists(matcher: PrincipalMatcher, directory: PrincipalDirectory): void {
  switch (matcher.kind) {
    case 'everyone':
    case 'service':
      return;
    case 'account':
      if (matcher.accountId !== directory.accountId) throw invalid();
      return;
    case 'user':
      if (matcher.accountId !== directory.accountId || !directory.userExists(matcher.name)) throw invalid();
      return;
    case 'canonical':
      if (!directory.userExists(matcher.id)) throw invalid();
      return;
  }
}
