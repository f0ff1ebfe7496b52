import type { RouteTarget } from "../routing/planner.ts";
import type { BudgetGuard, CapBreach } from "./guard.ts";
import type { EffectivePolicy } from "./policy.ts";

/** The fewest answer tokens worth lowering max_tokens to; below that, refuse. */
export const MIN_ANSWER_TOKENS = 64;

export interface BudgetChoice {
  target: RouteTarget;
  reservedPicoUsd: number;
  /** The model asked for, when a cheaper one was chosen to fit the budget. */
  degradedFrom: string | null;
  /** The max_tokens asked for, when it was lowered to fit the budget. */
  loweredFrom: number | null;
  /** Other targets the router may fail over to within the same reservation. */
  fallbacks: RouteTarget[];
}

export interface ChooseOptions {
  requestId: string;
  siteId: string;
  visitor: string | undefined;
  policy: EffectivePolicy;
  now: number;
  /** What the request asked for, in the router's order. */
  targets: RouteTarget[];
  /** Cheaper allowed models to degrade to, closest in price first (asked for only when needed). */
  cheaper: () => RouteTarget[];
  /** The most a target can cost with this answer length. */
  worstCase: (target: RouteTarget, maxTokens: number) => number;
}

/**
 * Picks what a request can afford and reserves it: the requested model at
 * the requested length; else a cheaper allowed model; else the longest answer
 * that fits (not below MIN_ANSWER_TOKENS). Returns the breached cap when
 * nothing fits.
 */
export function chooseWithinBudget(
  guard: BudgetGuard,
  options: ChooseOptions,
): BudgetChoice | CapBreach {
  const requested = options.targets[0];
  if (!requested) throw new Error("no targets to choose from");
  let candidates = options.targets;
  const reserve = (amountPicoUsd: number) =>
    guard.reserve({
      requestId: options.requestId,
      siteId: options.siteId,
      visitor: options.visitor,
      amountPicoUsd,
      policy: options.policy,
      now: options.now,
    });
  const requestedIds = new Set(options.targets.map((target) => target.info.id));
  const chosen = (
    target: RouteTarget,
    reservedPicoUsd: number,
    askedTokens: number,
  ): BudgetChoice => ({
    target,
    reservedPicoUsd,
    degradedFrom: requestedIds.has(target.info.id) ? null : requested.info.id,
    loweredFrom: target.maxTokens < askedTokens ? askedTokens : null,
    fallbacks: options.targets
      .filter((other) => other.info.id !== target.info.id)
      .map((other) => ({ ...other, maxTokens: Math.min(other.maxTokens, target.maxTokens) }))
      .filter((other) => options.worstCase(other, other.maxTokens) <= reservedPicoUsd),
  });

  let breach: CapBreach | undefined;
  if (options.targets.length > 1) {
    // Enough for any of the requested targets, so the router can fail over between them.
    const amount = Math.max(
      ...options.targets.map((target) => options.worstCase(target, target.maxTokens)),
    );
    breach = reserve(amount);
    if (!breach) return chosen(requested, amount, requested.maxTokens);
  }
  for (const target of candidates) {
    const amount = options.worstCase(target, target.maxTokens);
    breach = reserve(amount);
    if (!breach) return chosen(target, amount, target.maxTokens);
  }
  for (const target of options.cheaper()) {
    candidates = [...candidates, target];
    const amount = options.worstCase(target, target.maxTokens);
    breach = reserve(amount);
    if (!breach) return chosen(target, amount, target.maxTokens);
  }

  const room = guard.headroom(options.siteId, options.visitor, options.policy, options.now);
  const affordable = Math.min(
    room.remainingPicoUsd,
    options.policy.requestCapPicoUsd ?? Number.POSITIVE_INFINITY,
  );
  for (const target of candidates) {
    const inputCost = options.worstCase(target, 0);
    const perToken = options.worstCase(target, 1) - inputCost;
    const tokens =
      perToken > 0 ? Math.floor((affordable - inputCost) / perToken) : target.maxTokens;
    if (tokens < Math.min(MIN_ANSWER_TOKENS, target.maxTokens)) continue;
    const lowered = { ...target, maxTokens: Math.min(tokens, target.maxTokens) };
    const amount = options.worstCase(lowered, lowered.maxTokens);
    breach = reserve(amount);
    if (!breach) return chosen(lowered, amount, target.maxTokens);
  }
  return breach ?? (room.binding as CapBreach);
}
