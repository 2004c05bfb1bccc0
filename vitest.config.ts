import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // MLOPS_TEST_DATABASE=postgres runs everything on a real PostgreSQL (test/kit/database.ts).
    globalSetup: ["test/kit/postgres-global-setup.ts"],
    setupFiles: ["test/kit/database-setup.ts"],
    reporters: ["default"],
    // On with `--coverage` (.ci/run: `npm test -- --coverage`). Only code loaded in the test
    // processes counts: the CLI and servers the tests spawn from dist/ are not measured.
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      exclude: ["src/gen/**"],
      reporter: ["text-summary", "json-summary", "html"],
      reportOnFailure: true,
      // Today's level (measured: statements 79.4%, branches 71.4%, functions 79.1%, lines 80.6%),
      // less about two points for noise between runs; raise it as coverage grows, never lower it.
      thresholds: { statements: 77, branches: 69, functions: 77, lines: 78 },
    },
  },
});
