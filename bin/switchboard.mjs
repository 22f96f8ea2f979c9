#!/usr/bin/env node
// Entry point of `npm start` and `npx switchboard`: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
const { printHelp } = await import('../src/cli/help.ts');
if (!printHelp(args)) {
  if (args[0] === 'accounts' || args[0] === 'tokens') await import('../src/cli/admin-cli.ts');
  else await import('../src/main.ts');
}
