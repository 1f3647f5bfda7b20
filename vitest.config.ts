import { defineConfig } from 'vitest/config';

/**
 * One command runs everything: unit tests, integration tests against a real mosquitto, and
 * end-to-end tests in Chromium with a private D-Bus and dunst. Tests that start services take longer.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    execArgv: ['--disable-warning=ExperimentalWarning'],
    maxWorkers: 2,
    reporters: ['verbose'],
  },
});
