/** The engine over worker threads (the main thread never loads `baileys`; see threaded-engine.ts). */
export { createThreadedEngine, type ThreadedEngine, type ThreadedEngineOptions } from './threaded-engine.ts';
