import type { CatalogModel } from "./api";

export interface CatalogFilter {
  /** Words to find in the id (all of them, any case). */
  search: string;
  /** A provider id, or "" for all. */
  provider: string;
  /** Only the chosen models. */
  chosenOnly: boolean;
}

/** The catalogue's providers, sorted. */
export function providersOf(models: CatalogModel[]): string[] {
  return [...new Set(models.map((model) => model.provider))].sort();
}

/** The models matching the filter, sorted by provider then model. */
export function filterCatalog(
  models: CatalogModel[],
  filter: CatalogFilter,
  chosen: ReadonlySet<string>,
): CatalogModel[] {
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  return models
    .filter((model) => {
      if (filter.provider && model.provider !== filter.provider) return false;
      if (filter.chosenOnly && !chosen.has(model.id)) return false;
      const id = model.id.toLowerCase();
      return words.every((word) => id.includes(word));
    })
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}

/** Whether the operator's allowlist lets the site choose a model (no allowlist: every model). */
export function operatorAllows(operatorModels: string[] | null, id: string): boolean {
  return operatorModels === null || operatorModels.includes(id);
}

/** The site's allowlist to send: null for "every model", else the chosen ids, sorted. */
export function allowlistToSend(
  mode: "all" | "list",
  chosen: ReadonlySet<string>,
): string[] | null {
  return mode === "all" ? null : [...chosen].sort();
}

/** Adds or removes ids from the chosen set (a new set: React state). */
export function toggleChosen(chosen: ReadonlySet<string>, ids: string[], on: boolean): Set<string> {
  const next = new Set(chosen);
  for (const id of ids) {
    if (on) next.add(id);
    else next.delete(id);
  }
  return next;
}
