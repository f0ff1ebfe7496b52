import { describe, expect, test } from "vitest";
import { sourceLabel } from "../lib/source-label";

describe("sourceLabel", () => {
  test("a request without a source came from the Chat block", () => {
    expect(sourceLabel(null)).toBe("Chat block");
    expect(sourceLabel(undefined)).toBe("Chat block");
  });

  test("plugins and themes by their folder name, WordPress itself as WordPress", () => {
    expect(sourceLabel("plugin:seo-helper")).toBe("seo-helper (plugin)");
    expect(sourceLabel("mu-plugin:site-tools")).toBe("site-tools (plugin)");
    expect(sourceLabel("theme:twentytwentyfive")).toBe("twentytwentyfive (theme)");
    expect(sourceLabel("core")).toBe("WordPress");
  });

  test("a client's own name as it came", () => {
    expect(sourceLabel("my-cli/1.0")).toBe("my-cli/1.0");
  });
});
