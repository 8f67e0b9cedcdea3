#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript sources run as they are, then starts the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lab/cli/main.ts');
process.exitCode = await main(process.argv);
