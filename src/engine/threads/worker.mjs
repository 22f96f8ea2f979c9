// Bootstrap of an engine worker thread: the gateway runs its TypeScript sources through tsx (bin/switchboard.mjs
// registers it; tests use `node --import tsx`), and a worker thread starts without the main thread's loader hooks on
// Node 20, so it registers tsx itself before loading the host. Registering twice (when --import tsx is inherited
// through execArgv) is harmless.
import { register } from 'tsx/esm/api';

register();
await import('./host.ts');
