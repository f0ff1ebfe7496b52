/**
 * A model as the tables show it: its name, and its provider beside it in small
 * type (the id "provider/model" is what the allowlist and the block settings use).
 */
export function ModelName({ provider, model }: { provider: string; model: string }) {
  return (
    <span className="sluice-model-name">
      <span className="sluice-model-name__model">{model}</span>{" "}
      <span className="sluice-model-name__provider">{provider}</span>
    </span>
  );
}
