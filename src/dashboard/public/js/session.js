// Credentials for this browser tab only: sessionStorage (gone when the tab closes), never a cookie or a URL.

const KEY = 'switchboard.dashboard';

/** {account?: {token, name?, maxInstances?}, admin?: string} */
export function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

export function save(state) {
  sessionStorage.setItem(KEY, JSON.stringify(state));
}

export function update(patch) {
  const next = { ...load(), ...patch };
  for (const [k, v] of Object.entries(next)) if (v === undefined || v === null) delete next[k];
  save(next);
  return next;
}

export function forget() {
  sessionStorage.removeItem(KEY);
}
