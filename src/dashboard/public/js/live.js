// The account's live event stream (/v2/events/sse), shared by every view: views subscribe while mounted.

import { account } from './api.js';
import { load } from './session.js';
import { openEventStream } from './sse.js';

const listeners = new Set();
let stream = null;
let timer = null;
let watchdog = null;
let revokedHandler = () => {};

/** fn(envelope) for every live event; returns the unsubscribe function. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setState(state) {
  document.body.dataset.live = state;
  const el = document.getElementById('live');
  if (el) el.textContent = state === 'on' ? 'Live' : state === 'off' ? 'Offline' : 'Reconnecting…';
}

/** A plain end of the stream: a revoked token answers 401 here (and the 401 handler signs out), else reconnect. */
async function ended(lastId) {
  setState('retry');
  try {
    await account('GET', '/v2/account/stats');
  } catch (err) {
    if (err.status === 401) return;
  }
  timer = setTimeout(() => connect(lastId), 1000);
}

function connect(lastId) {
  const creds = load();
  if (!creds.account) return;
  const current = openEventStream({
    url: '/v2/events/sse',
    headers: { 'access-token': creds.account.token },
    lastEventId: lastId,
    onOpen: () => setState('on'),
    onEnvelope: (envelope) => {
      for (const fn of [...listeners]) fn(envelope);
    },
    onRevoked: (body) => revokedHandler(body),
    onEnd: () => ended(current.lastEventId),
  });
  stream = current;
}

/**
 * Starts the stream; onRevoked(body) runs when the server says the token is no longer valid. A light check every
 * 5 s (only while the tab is visible) also catches a revocation on servers that do not end streams on revocation.
 */
export function startLive(onRevoked) {
  stopLive();
  revokedHandler = onRevoked;
  setState('retry');
  connect(null);
  watchdog = setInterval(() => {
    if (document.visibilityState === 'visible') account('GET', '/v2/account/stats').catch(() => {});
  }, 5000);
}

export function stopLive() {
  clearTimeout(timer);
  clearInterval(watchdog);
  stream?.close();
  stream = null;
  setState('off');
}
