/**
 * A job that may be asked for again while it runs (re-check everything, read what is new): runs never overlap, callers
 * during a run share it, and one more run follows it (not one per call), so a request made during a run is never lost.
 * The promise resolves when no run is pending; a failure goes to `onError` and ends the pending runs.
 */
export function coalescedRun(job: () => Promise<void>, onError?: (err: unknown) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await job();
      } while (again);
    })()
      .catch((err: unknown) => onError?.(err))
      .finally(() => (running = null));
    return running;
  };
}
