/**
 * Money units. Prices are integers in micro-USD per million tokens (µUSD/Mtok);
 * costs are integers in pico-USD (1e-12 USD). Since 1 µUSD/Mtok = 1 pUSD per token,
 * tokens × rate is a cost in pico-USD, exactly, with integer arithmetic.
 */

import { PICO_USD_PER_USD, RATE_UNITS_PER_USD_PER_MILLION } from "./money.ts";

/**
 * A float this close (relatively) to an integer is that integer plus float noise.
 * Doubles carry ~1e-16 relative error per operation; 1e-9 absorbs that with a wide
 * margin yet still catches a real fraction (333333.333 is 1e-6 off 333333).
 */
export const FLOAT_NOISE_RELATIVE = 1e-9;

/** USD per token → µUSD per million tokens (the same number as pico-USD per token). */
export const UNITS_PER_USD_PER_TOKEN = PICO_USD_PER_USD;
/** USD per million tokens → µUSD per million tokens. */
export const UNITS_PER_USD_PER_MILLION = RATE_UNITS_PER_USD_PER_MILLION;

export interface UnitConversion {
  /** The integer unit count; never below the true price. */
  units: number;
  /** False when the value was not within float noise of an integer and was rounded up. */
  exact: boolean;
}

/**
 * Scales a float price to integer units. Float noise (59999.99999999999 or
 * 16500000.000000002) goes to the nearest integer; anything else is rounded up,
 * so a true price is never rounded down (nor a tiny positive price to zero).
 */
export function toIntegerUnits(value: number, scale: number): UnitConversion {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`price must be a finite number >= 0, got ${value}`);
  }
  const scaled = value * scale;
  const nearest = Math.round(scaled);
  if (scaled === nearest) return { units: nearest, exact: true };
  if (nearest > 0 && Math.abs(scaled - nearest) <= FLOAT_NOISE_RELATIVE * nearest) {
    return { units: nearest, exact: true };
  }
  return { units: Math.ceil(scaled), exact: false };
}

export function usdPerTokenToUnits(usdPerToken: number): UnitConversion {
  return toIntegerUnits(usdPerToken, UNITS_PER_USD_PER_TOKEN);
}

export function usdPerMillionToUnits(usdPerMillion: number): UnitConversion {
  return toIntegerUnits(usdPerMillion, UNITS_PER_USD_PER_MILLION);
}
