// Bootstrap of the simulator's worker thread (thread.ts): the simulator is TypeScript run through tsx, and a worker
// thread starts without the main thread's loader hooks on Node 20, so it registers tsx itself before loading the
// host. Registering twice (when --import tsx is inherited through execArgv) is harmless.
import { register } from 'tsx/esm/api';

register();
await import('./thread-host.ts');
