#!/usr/bin/env node
// The `corpus` command. TypeScript runs directly through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
