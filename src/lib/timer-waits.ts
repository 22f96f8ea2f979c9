/** Small timer-safe waiting helpers: none of them leaves a timer behind that would keep the process alive. */

/** Wakes every waiter registered with waitFor. */
export function wake(waiters: Set<() => void>): void {
  for (const w of [...waiters]) w();
  waiters.clear();
}

/** Resolves when woken through `waiters` or after ms, whichever comes first. */
export function waitFor(waiters: Set<() => void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    waiters.add(done);
  });
}

/** The promise's outcome, or a rejection after ms. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
