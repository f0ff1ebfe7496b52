import type { CapStatus } from "../../contract/policy.ts";
import { capPicoUsdToUsd, picoUsdToUsd } from "../pricing/money.ts";
import type { BudgetGuard } from "./guard.ts";
import { periodsAt } from "./periods.ts";
import type { EffectivePolicy } from "./policy.ts";

/**
 * Spend today and this month against the caps, in the site's time zone: the
 * figures admission checks (every window overlapping today's or this
 * month's, so spend made under another time zone shows too).
 */
export function spendAgainstCaps(
  guard: BudgetGuard,
  siteId: string,
  policy: EffectivePolicy,
  now: number,
): { today: CapStatus; month: CapStatus } {
  const periods = periodsAt(now, policy.timezone);
  const status = (
    scope: "day" | "month",
    period: string,
    cap: number | null,
    startsAt: number,
    endsAt: number,
  ): CapStatus => {
    const { settled, reserved } = guard.spend(siteId, scope, { startsAt, endsAt });
    const fraction = cap === null ? null : cap === 0 ? 1 : (settled + reserved) / cap;
    return {
      period,
      settled_usd: picoUsdToUsd(settled),
      reserved_usd: picoUsdToUsd(reserved),
      cap_usd: capPicoUsdToUsd(cap),
      used_fraction: fraction,
      warning: fraction !== null && fraction >= policy.softThreshold,
      resets_at: new Date(endsAt).toISOString(),
    };
  };
  return {
    today: status("day", periods.day, policy.dayCapPicoUsd, periods.dayStartsAt, periods.dayEndsAt),
    month: status(
      "month",
      periods.month,
      policy.monthCapPicoUsd,
      periods.monthStartsAt,
      periods.monthEndsAt,
    ),
  };
}
