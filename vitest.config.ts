import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "blocks/**/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "e2e/**", "test/bench/**"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
