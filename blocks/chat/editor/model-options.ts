import { __, sprintf } from "@wordpress/i18n";

/** One model of the gateway's `/v1/models` list, relayed by `GET /wp-json/sluice/v1/models`. */
export interface GatewayModel {
  id: string;
  max_output_tokens?: number;
  input_usd_per_million?: number;
  output_usd_per_million?: number;
}

export interface ModelOption {
  value: string;
  label: string;
}

export const AUTO_MODEL = "auto";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The models of a `/models` answer: `{object: "list", data: [...]}` or a bare array. */
export function readModels(payload: unknown): GatewayModel[] {
  const list = Array.isArray(payload) ? payload : isRecord(payload) ? payload.data : undefined;
  if (!Array.isArray(list))
    throw new Error(__("The model list has an unexpected shape.", "sluice"));
  return list.filter(
    (entry): entry is GatewayModel =>
      isRecord(entry) && typeof entry.id === "string" && entry.id !== "",
  );
}

/** A price per million tokens, e.g. "$0.15", "$0.075", "$15". */
export function formatUsd(amount: number): string {
  const digits = amount !== 0 && Math.abs(amount) < 0.1 ? 4 : 2;
  const fixed = amount.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, "$1");
  return `$${fixed.endsWith(".00") ? fixed.slice(0, -3) : fixed}`;
}

export function modelLabel(model: GatewayModel): string {
  const input = model.input_usd_per_million;
  const output = model.output_usd_per_million;
  if (typeof input !== "number" || typeof output !== "number") return model.id;
  /* translators: 1: model id, 2: price of input tokens, 3: price of output tokens (e.g. "$0.15") */
  return sprintf(
    __("%1$s (%2$s / %3$s per 1M tokens)", "sluice"),
    model.id,
    formatUsd(input),
    formatUsd(output),
  );
}

/**
 * The picker's options: "auto" first, then the gateway's models by id. A saved model the
 * gateway no longer offers stays selectable, marked, so opening the block changes nothing.
 */
export function modelOptions(models: readonly GatewayModel[], current: string): ModelOption[] {
  const options: ModelOption[] = [{ value: AUTO_MODEL, label: __("Automatic", "sluice") }];
  const sorted = [...models].sort((a, b) => a.id.localeCompare(b.id));
  for (const model of sorted) {
    if (model.id !== AUTO_MODEL) options.push({ value: model.id, label: modelLabel(model) });
  }
  if (current && !options.some((option) => option.value === current)) {
    /* translators: %s: model id */
    options.push({
      value: current,
      label: sprintf(__("%s (not offered by the gateway)", "sluice"), current),
    });
  }
  return options;
}
