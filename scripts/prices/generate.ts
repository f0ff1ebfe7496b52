import {
  PRICE_TABLE_SCHEMA_VERSION,
  PRICE_TABLE_UNIT,
  type PriceTable,
  RATE_FIELDS,
  type TableModel,
} from "../../server/pricing/table.ts";
import type { LitellmConversion } from "./litellm.ts";

/**
 * Pure steps of the price generator (cli.ts does the I/O): assemble the table,
 * the regression gate, the summary, the table's bytes. Build-time only.
 */

export const DEMO_MODEL_ID = "demo/sluice-demo";
/** The demo model is priced like this cheap model. */
export const DEMO_PRICED_LIKE = "openai/gpt-4o-mini";

export const LITELLM_SOURCE = {
  name: "litellm model_prices_and_context_window.json",
  url: "https://github.com/BerriAI/litellm",
  license: "MIT",
  attribution:
    "Prices and context windows derived from litellm's community-maintained model_prices_and_context_window.json (BerriAI/litellm, MIT License).",
} as const;

export interface SourceFacts {
  sha256: string;
  /** YYYY-MM-DD */
  generatedAt: string;
}

export function buildPriceTable(conversion: LitellmConversion, facts: SourceFacts): PriceTable {
  const template = conversion.models[DEMO_PRICED_LIKE];
  if (!template) {
    throw new Error(`cannot price ${DEMO_MODEL_ID}: ${DEMO_PRICED_LIKE} is not in the source`);
  }
  const demo: TableModel = { input: template.input, output: template.output };
  for (const field of RATE_FIELDS) {
    const rate = template[field];
    if (rate !== undefined) demo[field] = rate;
  }
  demo.max_input_tokens = 128000;
  demo.max_output_tokens = 4096;

  return {
    schema_version: PRICE_TABLE_SCHEMA_VERSION,
    unit: PRICE_TABLE_UNIT,
    source: {
      ...LITELLM_SOURCE,
      sha256: facts.sha256,
      entries: conversion.report.entries,
      generated_at: facts.generatedAt,
    },
    models: { ...conversion.models, [DEMO_MODEL_ID]: demo },
  };
}

/**
 * The regression gate: every model of the previous table must still be in the
 * next one with every price it had (rates and long-context tiers). Price changes
 * are allowed; losses are listed.
 */
export function findLostPrices(previous: PriceTable, next: PriceTable): string[] {
  const losses: string[] = [];
  for (const [id, before] of Object.entries(previous.models)) {
    const after = next.models[id];
    if (!after) {
      losses.push(`${id}: model removed`);
      continue;
    }
    for (const field of RATE_FIELDS) {
      if (before[field] !== undefined && after[field] === undefined) {
        losses.push(`${id}: lost ${field} price`);
      }
    }
    const thresholdsAfter = new Set((after.tiers ?? []).map((tier) => tier.above_input_tokens));
    for (const tier of before.tiers ?? []) {
      if (!thresholdsAfter.has(tier.above_input_tokens)) {
        losses.push(`${id}: lost tier above ${tier.above_input_tokens} input tokens`);
      }
    }
  }
  return losses;
}

export interface TableChanges {
  added: string[];
  repriced: string[];
}

export function diffTables(previous: PriceTable, next: PriceTable): TableChanges {
  const added: string[] = [];
  const repriced: string[] = [];
  for (const [id, after] of Object.entries(next.models)) {
    const before = previous.models[id];
    if (!before) added.push(id);
    else if (priceSignature(before) !== priceSignature(after)) repriced.push(id);
  }
  return { added, repriced };
}

function priceSignature(model: TableModel): string {
  return JSON.stringify([RATE_FIELDS.map((field) => model[field] ?? null), model.tiers ?? []]);
}

export function summarizeTable(table: PriceTable, conversion: LitellmConversion): string[] {
  const perProvider = new Map<string, { models: number; tiers: number }>();
  for (const [id, model] of Object.entries(table.models)) {
    const provider = id.slice(0, id.indexOf("/"));
    const counts = perProvider.get(provider) ?? { models: 0, tiers: 0 };
    counts.models += 1;
    counts.tiers += model.tiers?.length ?? 0;
    perProvider.set(provider, counts);
  }
  const { report } = conversion;
  const lines = [
    `source: ${report.entries} entries, sha256 ${table.source.sha256}`,
    `models: ${Object.keys(table.models).length}`,
  ];
  for (const [provider, counts] of [...perProvider.entries()].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    lines.push(
      `  ${provider.padEnd(10)} ${String(counts.models).padStart(4)} models, ${counts.tiers} tiers`,
    );
  }
  const reasons = new Map<string, number>();
  for (const { reason } of report.skipped) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  lines.push(`skipped ${report.skipped.length} of ${report.considered} chat entries:`);
  for (const [reason, count] of [...reasons.entries()].sort()) lines.push(`  ${count} ${reason}`);
  const differing = report.conflicts.filter((conflict) => !conflict.samePrices);
  lines.push(
    `duplicate keys: ${report.conflicts.length} (canonical key kept; ${differing.length} with different prices)`,
  );
  for (const conflict of differing) {
    lines.push(`  ${conflict.id}: kept ${conflict.kept}, dropped ${conflict.dropped}`);
  }
  lines.push(
    `exactness: ${report.checkedPrices} per-token prices checked, ${report.inexact.length} not within float noise of an integer unit`,
  );
  for (const price of report.inexact) {
    lines.push(
      `  ${price.key} ${price.field} = ${price.usdPerToken} USD/token → rounded up to ${price.units}`,
    );
  }
  return lines;
}

/** Deterministic JSON: object keys sorted at every level, 2-space indent, final newline. */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}
