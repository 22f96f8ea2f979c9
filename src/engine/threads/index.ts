/**
 * The engine over worker threads (see threaded-engine.ts). Nothing here may import ../baileys: the main thread must
 * never load `baileys` (host.ts and host-engine.ts run in the workers only).
 */
export { createThreadedEngine, type ThreadedEngine, type ThreadedEngineOptions } from './threaded-engine.ts';
