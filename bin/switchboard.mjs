#!/usr/bin/env node
// Entry point of `npm start` and `npx switchboard`: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const command = process.argv[2];
if (command === 'accounts' || command === 'tokens') {
  await import('../src/cli/admin-cli.ts');
} else {
  await import('../src/main.ts');
}
