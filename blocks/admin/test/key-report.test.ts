import { describe, expect, test } from "vitest";
import type { ServingKey, ServingKeys } from "../../../contract/keys";
import { keyLines, overdueCount } from "../lib/key-report";

function key(overrides: Partial<ServingKey>): ServingKey {
  return {
    provider: "openai",
    source: "vault",
    scope: { site: null, environment: null },
    set_at: "2026-11-01T00:00:00.000Z",
    age_days: 3,
    over_max_age: false,
    previous_usable_until: null,
    ...overrides,
  };
}

function report(data: ServingKey[]): ServingKeys {
  return { object: "list", environment: "prod", max_age_days: 30, data };
}

describe("keyLines", () => {
  test("overdue keys first, then by provider; the rotate command names the key's scope", () => {
    const lines = keyLines(
      report([
        key({ provider: "openai", scope: { site: "blog", environment: "prod" } }),
        key({
          provider: "mistral",
          scope: { site: null, environment: "prod" },
          over_max_age: true,
        }),
        key({ provider: "anthropic" }),
        key({ provider: "xai", source: "environment_variable", scope: null, set_at: null }),
      ]),
    );
    expect(lines.map((line) => [line.provider, line.rotateCommand])).toEqual([
      ["mistral", "sluice key rotate mistral --env prod"],
      ["anthropic", "sluice key rotate anthropic"],
      ["openai", "sluice key rotate openai --site blog --env prod"],
      ["xai", null],
    ]);
    expect(lines.at(-1)).toMatchObject({ kind: "environment", ageDays: 3, setAt: null });
  });

  test("counts the keys past the rotation age", () => {
    expect(overdueCount(report([key({}), key({ over_max_age: true })]))).toBe(1);
    expect(overdueCount(report([]))).toBe(0);
  });
});
