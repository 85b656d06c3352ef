import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // DuckDB, sharp and worker processes are heavy: two files at a time on a 2-core box.
    maxWorkers: 2,
    // Runs over real archives must not fetch the images their pages link to (no network but loopback).
    env: { CORPUS_OFFLINE: '1' },
  },
});
