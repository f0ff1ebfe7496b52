import { describe, expect, test } from "vitest";
import type { CatalogModel } from "../lib/api";
import {
  allowlistToSend,
  filterCatalog,
  operatorAllows,
  providersOf,
  toggleChosen,
} from "../lib/model-filter";

function model(id: string): CatalogModel {
  const [provider = "", name = ""] = id.split("/");
  return {
    id,
    provider,
    model: name,
    context_window: 128_000,
    max_output_tokens: 4096,
    input_usd_per_million: 1,
    output_usd_per_million: 2,
  };
}

const catalog = [
  "openai/gpt-4o-mini",
  "anthropic/claude-3-5-haiku",
  "openai/gpt-4o",
  "demo/sluice-demo",
  "mistral/mistral-small",
].map(model);

const none = { search: "", provider: "", chosenOnly: false };

describe("filterCatalog", () => {
  test("everything, sorted by provider then model", () => {
    expect(filterCatalog(catalog, none, new Set()).map((entry) => entry.id)).toEqual([
      "anthropic/claude-3-5-haiku",
      "demo/sluice-demo",
      "mistral/mistral-small",
      "openai/gpt-4o",
      "openai/gpt-4o-mini",
    ]);
  });

  test("every word of the search, in any case", () => {
    const ids = (search: string) =>
      filterCatalog(catalog, { ...none, search }, new Set()).map((entry) => entry.id);
    expect(ids("GPT mini")).toEqual(["openai/gpt-4o-mini"]);
    expect(ids("4o")).toEqual(["openai/gpt-4o", "openai/gpt-4o-mini"]);
    expect(ids("  ")).toHaveLength(5);
    expect(ids("nothing-like-this")).toEqual([]);
  });

  test("by provider, and the chosen ones only", () => {
    expect(
      filterCatalog(catalog, { ...none, provider: "openai" }, new Set()).map((entry) => entry.id),
    ).toEqual(["openai/gpt-4o", "openai/gpt-4o-mini"]);
    expect(
      filterCatalog(catalog, { ...none, chosenOnly: true }, new Set(["demo/sluice-demo"])).map(
        (entry) => entry.id,
      ),
    ).toEqual(["demo/sluice-demo"]);
  });

  test("does not reorder the catalogue it was given", () => {
    const copy = [...catalog];
    filterCatalog(catalog, none, new Set());
    expect(catalog).toEqual(copy);
  });
});

describe("the allowlist", () => {
  test("providers, sorted and unique", () => {
    expect(providersOf(catalog)).toEqual(["anthropic", "demo", "mistral", "openai"]);
  });

  test("the operator's allowlist limits what may be chosen; none allows everything", () => {
    expect(operatorAllows(null, "openai/gpt-4o")).toBe(true);
    expect(operatorAllows(["demo/sluice-demo"], "openai/gpt-4o")).toBe(false);
    expect(operatorAllows(["demo/sluice-demo"], "demo/sluice-demo")).toBe(true);
  });

  test("what is sent: null for every model, else the chosen ids sorted", () => {
    const chosen = new Set(["openai/gpt-4o", "demo/sluice-demo"]);
    expect(allowlistToSend("all", chosen)).toBeNull();
    expect(allowlistToSend("list", chosen)).toEqual(["demo/sluice-demo", "openai/gpt-4o"]);
    expect(allowlistToSend("list", new Set())).toEqual([]);
  });

  test("toggling gives a new set", () => {
    const chosen = new Set(["a/1"]);
    const more = toggleChosen(chosen, ["b/2", "c/3"], true);
    expect([...more].sort()).toEqual(["a/1", "b/2", "c/3"]);
    expect(chosen.size).toBe(1);
    expect([...toggleChosen(more, ["a/1", "c/3"], false)]).toEqual(["b/2"]);
  });
});
