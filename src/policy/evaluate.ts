import { principalMatches } from './principals.js';
import { matchPattern } from './wildcard.js';
import type { Decision, Policy, PolicyRequest, Statement } from './types.js';

/**
 * Evaluates policies for one request as IAM does: a statement applies when its principal,
 * action, resource and every condition match; any applicable Deny wins, otherwise any
 * applicable Allow allows, otherwise nothing was said ('none') and the caller's default
 * decides. It takes a list of policies (the bucket's today; a user's identity policies later)
 * and a request, never a bucket.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function evaluatePolicies(policies: readonly Policy[], request: PolicyRequest): Decision {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      // An Allow cannot change the outcome once something allowed; a Deny always can.
      if (statement.effect === 'Allow' && allowed) continue;
      if (!applies(statement, request)) continue;
      if (statement.effect === 'Deny') return 'deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'none';
}

function applies(statement: Statement, request: PolicyRequest): boolean {
  const principal = statement.principals.some((p) => principalMatches(p, request.principal));
  if (principal === statement.notPrincipal) return false;
  const action = statement.actions.some((p) => matchPattern(p, request.action));
  if (action === statement.notAction) return false;
  const resource = statement.resources.some((p) => matchPattern(p, request.resource));
  if (resource === statement.notResource) return false;
  return statement.conditions.every((c) => c.test(request.conditions(c.key)));
}
