/**
 * Money. The ledger, budgets, reservations and costs count integer picoUSD
 * (1 picoUSD = 1e-12 USD); US dollars appear only at the edges: caps as an admin
 * or the CLI writes them, amounts in JSON, sentences and tables. Every conversion
 * between the two, and every place the gateway writes an amount of money, goes
 * through this module.
 *
 * Pure: no Node or project imports, so any layer (and browser code) may use it.
 */

/** picoUSD in one US dollar. */
export const PICO_USD_PER_USD = 1e12;

/**
 * A price's unit, µUSD per million tokens, in one USD per million tokens. The same
 * unit is picoUSD per token, so tokens × rate is a cost in picoUSD.
 */
export const RATE_UNITS_PER_USD_PER_MILLION = 1e6;

/**
 * USD → picoUSD, to the nearest picoUSD (a half rounds up, as `Math.round` does).
 * Used for caps from the admin screen and the CLI, and for a provider's own bill.
 * Float noise in the product (0.27 × 1e12 = 270000000000.00003) is rounded away.
 */
export function usdToPicoUsd(usd: number): number {
  return Math.round(usd * PICO_USD_PER_USD);
}

/**
 * picoUSD → USD as a JS number, for JSON. The division of two exact integers is
 * correctly rounded, so 2850000 gives exactly 2.85e-6.
 */
export function picoUsdToUsd(picoUsd: number): number {
  return picoUsd / PICO_USD_PER_USD;
}

/** `picoUsdToUsd` for a cap, where null means no cap. */
export function capPicoUsdToUsd(picoUsd: number | null): number | null {
  return picoUsd === null ? null : picoUsdToUsd(picoUsd);
}

/** A rate in µUSD per million tokens → USD per million tokens, as the catalog shows it. */
export function rateToUsdPerMillion(microUsdPerMillion: number): number {
  return microUsdPerMillion / RATE_UNITS_PER_USD_PER_MILLION;
}

/** One cent in picoUSD: below it, a sentence shows four decimals instead of two. */
const CENT_PICO_USD = PICO_USD_PER_USD / 100;

/**
 * An amount for a sentence (a refusal's message): "$0" for nothing, four decimals
 * below one cent ("$0.0050"), two from one cent up ("$0.01", "$5.00").
 */
export function formatUsd(picoUsd: number): string {
  if (picoUsd === 0) return "$0";
  return formatUsdFixed(picoUsd, picoUsd < CENT_PICO_USD ? 4 : 2);
}

/** An amount for a table (`sluice usage`): "$" and a fixed number of decimals. */
export function formatUsdFixed(picoUsd: number, decimals: number): string {
  return `$${picoUsdToUsd(picoUsd).toFixed(decimals)}`;
}
