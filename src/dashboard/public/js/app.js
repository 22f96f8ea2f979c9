// Entry point: sign-in state, navigation (hash routes), the live stream, and signing out on any 401.

import { onUnauthorized } from './api.js';
import { clear, h } from './dom.js';
import { startLive, stopLive } from './live.js';
import { forget, load } from './session.js';
import { notify } from './ui.js';
import { signInView } from './views/signin.js';
import { instancesView } from './views/instances.js';
import { instanceView } from './views/instance.js';
import { overviewView } from './views/overview.js';
import { adminView } from './views/admin.js';

const main = document.getElementById('main');
let unmount = null;

const ROUTES = [
  [/^#\/instances\/([A-Za-z0-9]+)$/, 'account', (m) => instanceView(m[1])],
  [/^#\/instances$/, 'account', () => instancesView()],
  [/^#\/overview$/, 'account', () => overviewView()],
  [/^#\/admin$/, 'admin', () => adminView()],
];

function home(creds) {
  return creds.account ? '#/instances' : creds.admin ? '#/admin' : '#/signin';
}

function renderChrome(creds) {
  const signedIn = Boolean(creds.account || creds.admin);
  const nav = document.getElementById('nav');
  nav.hidden = !signedIn;
  for (const li of nav.querySelectorAll('[data-need]')) li.hidden = !creds[li.dataset.need];
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === location.hash.replace(/^(#\/instances)\/.*$/, '$1'))
      a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const who = document.getElementById('who');
  clear(who);
  const live = document.body.dataset.live;
  const liveText = live === 'on' ? 'Live' : live === 'retry' ? 'Reconnecting…' : 'Offline';
  if (creds.account) {
    who.append(
      creds.account.name ? `Account: ${creds.account.name} ` : 'Signed in with an access token ',
      h('span', { id: 'live', class: 'live' }, liveText),
    );
  } else if (creds.admin) who.append('Administrator');
  document.getElementById('signout').hidden = !signedIn;
}

async function route() {
  const creds = load();
  const hash = location.hash;
  let view = null;
  for (const [re, need, make] of ROUTES) {
    const m = re.exec(hash);
    if (m && creds[need]) view = make(m);
  }
  if (!view && hash !== '#/signin' && (creds.account || creds.admin)) {
    location.replace(home(creds));
    return;
  }
  if (!view) view = signInView(() => signedIn());
  renderChrome(creds);
  unmount?.();
  unmount = null;
  clear(main);
  main.append(view.el);
  unmount = view.unmount ?? null;
  document.title = `${view.title} · Switchboard`;
  if (!performance.getEntriesByName('switchboard:view').length) performance.mark('switchboard:view');
  if (!view.keepFocus) main.focus({ preventScroll: true });
}

function signedIn() {
  const creds = load();
  if (creds.account) startLive(() => signOut('Your access token was revoked: you are signed out.'));
  notify('');
  if (location.hash === home(creds)) route();
  else location.hash = home(creds);
}

export function signOut(message = 'Signed out.') {
  stopLive();
  forget();
  notify(message);
  if (location.hash === '#/signin') route();
  else location.hash = '#/signin';
}

onUnauthorized(() => signOut('The gateway refused your token (revoked or wrong): you are signed out.'));
document.getElementById('signout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => {
  // A notice belongs to the view it was given on; the sign-out notice is given on the way to the sign-in view.
  if (location.hash !== '#/signin') notify('');
  route();
});
window.addEventListener('switchboard:signedin', signedIn);
// The stream restarted without replay: reload the current view so nothing missed stays on screen.
window.addEventListener('switchboard:resync', route);
if (load().account) startLive(() => signOut('Your access token was revoked: you are signed out.'));
route();
