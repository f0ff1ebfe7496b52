import { type BudgetChoice, chooseWithinBudget } from "../budget/choose.ts";
import type { BudgetGuard, CapBreach } from "../budget/guard.ts";
import type { EffectivePolicy, PolicyStore } from "../budget/policy.ts";
import type { RequestLedger } from "../ledger/requests.ts";
import type { WorstCase } from "../pricing/cost.ts";
import { formatUsd } from "../pricing/money.ts";
import { Refusal } from "../refusal.ts";
import type { Planner, RouteTarget } from "../routing/planner.ts";

export interface AdmissionDeps {
  planner: Planner;
  ledger: RequestLedger;
  policies: PolicyStore;
  budget: BudgetGuard;
  /** The most a call can cost: all input uncached, the full answer length. */
  worstCase: WorstCase;
  /** Runs `work` in one SQLite write transaction. */
  transaction: <T>(work: () => T) => T;
}

export interface AdmissionRequest {
  requestId: string;
  siteId: string;
  visitor: string | undefined;
  requestedModel: string;
  inputTokens: number;
  maxTokens: number | undefined;
  now: number;
  /** Who asked, for the request list (the chat schema's `source`). */
  source?: string | undefined;
}

/** Input reserved for: our tokenizer's count, with a margin for providers whose tokenizers count more. */
export function reservedInputTokens(inputTokens: number): number {
  return Math.ceil(inputTokens * 1.1) + 16;
}

export interface AdmittedRequest extends AdmissionRequest {
  streamed: boolean;
}

/**
 * Admission and the request's ledger row, in one transaction: one commit
 * before the upstream call. A database that refuses the write (disk full,
 * I/O error) is a `ledger_unavailable` refusal the client can act on: nothing
 * was reserved and no provider was called.
 */
export function admitAndRecord(deps: AdmissionDeps, request: AdmittedRequest): BudgetChoice {
  try {
    return deps.transaction(() => {
      const choice = admit(deps, request);
      deps.ledger.open({
        id: request.requestId,
        siteId: request.siteId,
        visitor: request.visitor,
        provider: choice.target.info.provider,
        model: choice.target.info.model,
        requestedModel: request.requestedModel,
        streamed: request.streamed,
        startedAt: request.now,
        inputTokens: request.inputTokens,
        maxTokens: choice.target.maxTokens,
        reservedPicoUsd: choice.reservedPicoUsd,
        degradedFrom: choice.degradedFrom,
        source: request.source ?? null,
      });
      return choice;
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) {
      throw new Refusal(
        "ledger_unavailable",
        "the gateway cannot record spend right now; try again shortly",
        { retryAfterSeconds: 30 },
      );
    }
    throw error;
  }
}

/**
 * Decides whether and how a request may run: the site's allowlist, the
 * route, and a reservation of its worst case against the caps (degrading to
 * a cheaper allowed model or a shorter answer when that is what fits).
 * Throws a Refusal: model_not_allowed, budget_exhausted, or the planner's own.
 */
export function admit(deps: AdmissionDeps, request: AdmissionRequest): BudgetChoice {
  const policy = deps.policies.effective(request.siteId);
  const allowed = policy.models ? new Set(policy.models) : null;
  if (request.requestedModel !== "auto" && allowed && !allowed.has(request.requestedModel)) {
    throw new Refusal(
      "model_not_allowed",
      `model: ${request.requestedModel} is not allowed on this site` +
        (allowed.size > 0 ? ` (allowed: ${[...allowed].join(", ")})` : " (no model is allowed)"),
    );
  }
  const targets = deps.planner.plan(
    request.requestedModel,
    request.inputTokens,
    request.maxTokens,
    allowed,
    request.siteId,
  );
  const inputTokens = reservedInputTokens(request.inputTokens);
  const worstCase = (target: RouteTarget, maxTokens: number) =>
    deps.worstCase(target.info.provider, target.info.model, inputTokens, maxTokens);
  const requested = targets[0] as RouteTarget;
  const choice = chooseWithinBudget(deps.budget, {
    requestId: request.requestId,
    siteId: request.siteId,
    visitor: request.visitor,
    policy,
    now: request.now,
    targets,
    cheaper: () =>
      deps.planner.cheaper(
        requested,
        request.inputTokens,
        request.maxTokens,
        allowed,
        request.siteId,
      ),
    worstCase,
  });
  if ("target" in choice) return choice;
  throw budgetExhausted(choice, policy, request.now);
}

export function budgetExhausted(breach: CapBreach, policy: EffectivePolicy, now: number): Refusal {
  const names = {
    day: "daily",
    month: "monthly",
    visitor_day: "per-visitor daily",
    request: "per-request",
  };
  let message: string;
  let retryAfterSeconds: number | undefined;
  if (breach.resetsAt === null) {
    message = `This request could cost more than the ${names[breach.scope]} ceiling of ${formatUsd(breach.capPicoUsd)}; ask for a shorter answer or a cheaper model.`;
  } else {
    const resetsAt = new Date(breach.resetsAt).toISOString();
    retryAfterSeconds = Math.max(1, Math.ceil((breach.resetsAt - now) / 1000));
    message = `The ${names[breach.scope]} spend cap of ${formatUsd(breach.capPicoUsd)} is reached (${formatUsd(breach.usedPicoUsd)} used); it resets at ${resetsAt} (${policy.timezone} calendar).`;
  }
  return new Refusal("budget_exhausted", message, {
    details: {
      scope: breach.scope,
      resets_at: breach.resetsAt === null ? null : new Date(breach.resetsAt).toISOString(),
    },
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}
