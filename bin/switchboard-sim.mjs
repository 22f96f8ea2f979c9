#!/usr/bin/env node
// `npx switchboard-sim --port 7780`: the WhatsApp network simulator on its own.
import { register } from 'tsx/esm/api';

register();
await import('../sim/cli.ts');
