import { defineConfig } from 'vitest/config';

// Under CI a JSON report is written too, so .ci/run can print the plain "N passed, N failed" line.
const reporters: Array<string | [string, Record<string, unknown>]> = process.env.CI
  ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
  : ['default'];

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight over the CPU that PostgreSQL and the broker need too.
    maxWorkers: 2,
    reporters,
  },
});
