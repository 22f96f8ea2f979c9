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

let failures = 0;

/**
 * The stream ended without a revocation: a revoked token answers 401 here (and the 401 handler signs out), else
 * reconnect, backing off while it keeps failing (e.g. 429 past the account's stream limit). A resume point the server
 * no longer replays (400 on last_event_id) restarts live-only, and the views reload what they show.
 */
async function ended(lastId, answer) {
  setState('retry');
  try {
    await account('GET', '/v2/account/stats');
  } catch (err) {
    if (err.status === 401) return;
  }
  let resume = lastId;
  if (answer?.status === 400 && answer.body?.details?.parameter === 'last_event_id') {
    resume = null;
    window.dispatchEvent(new Event('switchboard:resync'));
  }
  const delay = Math.min(30_000, 1000 * 2 ** failures);
  failures += 1;
  timer = setTimeout(() => connect(resume), delay);
}

function connect(lastId) {
  const creds = load();
  if (!creds.account) return;
  const current = openEventStream({
    url: '/v2/events/sse',
    headers: { 'access-token': creds.account.token },
    lastEventId: lastId,
    onOpen: () => {
      failures = 0;
      setState('on');
    },
    onEnvelope: (envelope) => {
      for (const fn of [...listeners]) fn(envelope);
    },
    onRevoked: (body) => revokedHandler(body),
    onEnd: (_reason, answer) => ended(current.lastEventId, answer),
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
