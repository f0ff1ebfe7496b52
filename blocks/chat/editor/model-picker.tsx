import apiFetch from "@wordpress/api-fetch";
import { SelectControl, TextControl } from "@wordpress/components";
import { useEffect, useMemo, useState } from "@wordpress/element";
import { __, sprintf } from "@wordpress/i18n";
import { type GatewayModel, modelOptions, readModels } from "./model-options";

type ModelList =
  | { state: "loading" }
  | { state: "ready"; models: GatewayModel[] }
  | { state: "failed"; reason: string };

function failureReason(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === "string" && message) return message;
  }
  return __("unknown error", "sluice");
}

/** The gateway's models, loaded once per editor session. */
let shared: Promise<GatewayModel[]> | undefined;

function loadModels(): Promise<GatewayModel[]> {
  shared ??= apiFetch({ path: "/sluice/v1/models" }).then(readModels);
  shared.catch(() => {
    shared = undefined; // try again next time
  });
  return shared;
}

/** The models the block's picker offers; a failed load is retried when the block is opened again. */
export function useGatewayModels(): ModelList {
  const [list, setList] = useState<ModelList>({ state: "loading" });
  useEffect(() => {
    let current = true;
    loadModels().then(
      (models) => current && setList({ state: "ready", models }),
      (error: unknown) => current && setList({ state: "failed", reason: failureReason(error) }),
    );
    return () => {
      current = false;
    };
  }, []);
  return list;
}

interface ModelPickerProps {
  value: string;
  list: ModelList;
  onChange(value: string): void;
}

/** A select fed from the gateway's list, or a text field when the list cannot be loaded. */
export function ModelPicker({ value, list, onChange }: ModelPickerProps) {
  const options = useMemo(
    () => modelOptions(list.state === "ready" ? list.models : [], value),
    [list, value],
  );
  if (list.state === "failed") {
    return (
      <TextControl
        __next40pxDefaultSize
        __nextHasNoMarginBottom
        label={__("Model", "sluice")}
        value={value}
        onChange={(next) => onChange(next.trim() || "auto")}
        help={sprintf(
          /* translators: %s: why the list could not be loaded */
          __(
            "The model list could not be loaded (%s). Enter auto or a model id such as openai/gpt-4o-mini.",
            "sluice",
          ),
          list.reason,
        )}
      />
    );
  }
  return (
    <SelectControl
      __next40pxDefaultSize
      __nextHasNoMarginBottom
      label={__("Model", "sluice")}
      value={value}
      options={options}
      disabled={list.state === "loading"}
      onChange={(next: string) => onChange(next)}
      help={
        list.state === "loading"
          ? __("Loading the gateway's models…", "sluice")
          : __(
              "Automatic lets the gateway choose. Prices: input / output tokens, in US dollars per million.",
              "sluice",
            )
      }
    />
  );
}
