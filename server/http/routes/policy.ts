import type { Request, Response } from "express";
import type { PolicySnapshot } from "../../../contract/policy.ts";
import type { BudgetGuard } from "../../budget/guard.ts";
import { combinePolicies, looserThanOperator, type PolicyStore } from "../../budget/policy.ts";
import { applyPolicyInput, policyInputSchema, policyToJson } from "../../budget/policy-json.ts";
import { spendAgainstCaps } from "../../budget/report.ts";
import { describeIssues } from "../../chat/schema.ts";
import type { AuditLog } from "../../ledger/audit.ts";
import { parseJsonBody } from "../body.ts";
import { context } from "../context.ts";
import { GatewayError, sendError } from "../errors.ts";

/**
 * GET /v1/policy: the site's two policy layers, the effective policy, and
 * spend today and this month against the caps (for the admin screen).
 * PUT /v1/policy: sets the site layer; it may only be stricter than the
 * operator's (400 naming each looser field otherwise); a change is audited,
 * by the site (its admin) as the actor.
 */
export function policyRoutes(policies: PolicyStore, guard: BudgetGuard, audit?: AuditLog) {
  const snapshot = (siteId: string): PolicySnapshot => {
    const operator = policies.get(siteId, "operator");
    const site = policies.get(siteId, "site");
    const effective = combinePolicies(operator, site);
    return {
      site: siteId,
      operator: policyToJson(operator),
      site_policy: policyToJson(site),
      effective: policyToJson(effective),
      spend: spendAgainstCaps(guard, siteId, effective, Date.now()),
    };
  };

  const show = (_req: Request, res: Response): void => {
    res.json(snapshot(context(res).siteId));
  };

  const update = (req: Request, res: Response): void => {
    const { siteId, requestId } = context(res);
    try {
      const input = parseJsonBody(req, policyInputSchema, describeIssues);
      const operator = policies.get(siteId, "operator");
      const next = applyPolicyInput(policies.get(siteId, "site"), input);
      const problems = looserThanOperator(operator, next);
      if (problems.length > 0) {
        throw new GatewayError(400, "policy_too_loose", problems.join("; "));
      }
      policies.set(siteId, "site", next);
      audit?.append({
        actor: `site:${siteId}`,
        event: "policy.changed",
        subject: siteId,
        details: { layer: "site", policy: policyToJson(next) },
      });
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      sendError(res, error.status, error.code, error.message, requestId);
      return;
    }
    res.json(snapshot(siteId));
  };

  return { show, update };
}
