// One instance: status and identity (live), lifecycle actions, QR / pairing code, intent check, history, /me,
// webhooks, a test text, and (sandbox mode) the simulated phone.

import { instance as api } from '../api.js';
import { errorBox, h, section } from '../dom.js';
import { dateTime, displayNameOf, formatPhone, platformIcon, platformOf, timeAgo } from '../format.js';
import { subscribe } from '../live.js';
import { applyEvent, fromMe } from '../model.js';
import { confirmAction, copyButton, notify, run } from '../ui.js';
import { configPanel } from './config.js';
import { qrPanel } from './qr.js';
import { sandboxPanel } from './sandbox.js';
import { sendPanel } from './send.js';
import { webhooksPanel } from './webhooks.js';

const ACTIONS = [
  ['start', 'Start', 'POST', '/v2/session/start', null],
  [
    'stop',
    'Stop',
    'POST',
    '/v2/session/stop',
    'Stop this instance? Its credentials are kept; start it again without scanning.',
  ],
  [
    'restart',
    'Restart',
    'POST',
    '/v2/session/restart',
    'Restart this instance (stop, then start with the saved credentials)?',
  ],
  [
    'logout',
    'Log out',
    'POST',
    '/v2/session/logout',
    'Log out? The device is unlinked from the phone and a new QR code must be scanned.',
  ],
  ['delete', 'Delete', 'DELETE', '/v2/session/delete', 'Delete this instance for good? This cannot be undone.'],
];

export function instanceView(id) {
  const model = { id, name: id, status: null, reason: null, since: null, me: null, mismatch: null };
  const heading = h('h1', {}, id);
  const badge = h('span', { class: 'badge' });
  const reason = h('span', { class: 'reason' });
  const since = h('time');
  const statusLine = h(
    'p',
    { class: 'status-line', id: 'instance-status', 'aria-live': 'polite' },
    badge,
    ' ',
    reason,
    ' · since ',
    since,
  );
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true });
  const who = h('p', { class: 'who-line big' });
  const facts = h('dl', { class: 'facts' });
  const mePre = h('pre', { class: 'json', tabindex: '0', 'aria-label': '/v2/session/me answer' });
  const meErr = errorBox();
  const history = h('ol', { class: 'timeline' });
  const actionErr = errorBox();
  const actionsBar = h('div', { class: 'row wrap', role: 'group', 'aria-label': 'Instance actions' });
  const qr = qrPanel(id);
  const sandbox = sandboxPanel({
    qrValue: () => qr.value(),
    pairingCode: () => qr.code(),
    linkedPhone: () => model.me?.id,
  });
  const send = sendPanel(id, { identity: () => model.me });
  const hooks = webhooksPanel(id);
  const config = configPanel(id, { onSaved: () => refresh() });
  let stopped = false;

  for (const [key, label, method, path, question] of ACTIONS) {
    const button = h(
      'button',
      { type: 'button', class: key === 'delete' || key === 'logout' ? 'danger' : '', dataset: { action: key } },
      label,
    );
    button.addEventListener('click', async () => {
      if (question && !(await confirmAction(`${label} instance`, question, label))) return;
      await run(button, actionErr, async () => {
        await api(id, method, path);
        if (key === 'delete') {
          notify(`Instance ${model.name} deleted.`);
          location.hash = '#/instances';
        } else {
          notify(`${label}: accepted.`);
          await refresh();
        }
      });
    });
    actionsBar.append(button);
  }

  const render = () => {
    heading.textContent = model.name || id;
    badge.textContent = model.status ?? '…';
    badge.className = `badge s-${model.status}`;
    reason.textContent = model.reason ?? '';
    since.dateTime = model.since ?? '';
    since.textContent = model.since ? `${timeAgo(model.since)} (${dateTime(model.since)})` : '';
    const me = model.me;
    who.replaceChildren();
    if (me && model.status === 'WORKING')
      who.append('Connected as ', h('strong', { class: 'display-name' }, displayNameOf(me)));
    else if (me)
      who.append(
        h('span', { class: 'last-known' }, 'Last known: '),
        h('strong', { class: 'display-name' }, displayNameOf(me)),
      );
    else who.append(h('span', { class: 'muted' }, 'No phone linked'));
    facts.replaceChildren();
    if (me) {
      const p = me.platform ?? platformOf(me.platformRaw);
      facts.append(
        h('dt', {}, 'Phone'),
        h('dd', {}, formatPhone(me.id)),
        h('dt', {}, 'LID'),
        h('dd', {}, me.lid ?? '—'),
        h('dt', {}, 'Platform'),
        h('dd', {}, platformIcon(p), ` ${me.platformRaw ?? p}`),
      );
    }
    const mismatch = model.mismatch ?? (model.reason === 'identity_mismatch' ? {} : null);
    alertBox.hidden = !mismatch;
    alertBox.replaceChildren();
    if (mismatch) {
      alertBox.append(
        h('strong', {}, 'Wrong phone: '),
        mismatch.actual
          ? `${formatPhone(mismatch.actual)} was scanned, but this instance expects ${formatPhone(mismatch.expected)}. The device was unlinked; scan with the expected phone.`
          : 'the phone that was scanned is not the expected one. The device was unlinked; scan with the expected phone.',
      );
    }
    qr.setStatus(model.status);
    sandbox.setStatus(model.status);
    send.refreshPreview();
  };

  const loadMe = async () => {
    if (model.status !== 'WORKING') {
      mePre.textContent = `Not connected (status ${model.status}): /v2/session/me answers only for WORKING sessions.`;
      return;
    }
    await run(mePre, meErr, async () => {
      const me = await api(id, 'GET', '/v2/session/me');
      mePre.textContent = JSON.stringify(me, null, 2);
      model.me = { ...model.me, ...fromMe(me) };
      render();
    });
  };

  async function refresh() {
    const info = await api(id, 'GET', '/v2/session/info').catch((err) => {
      actionErr.textContent = err.message;
      actionErr.hidden = false;
      return null;
    });
    if (!info || stopped) return;
    model.name = info.name;
    model.status = info.status;
    model.reason = info.reason;
    model.since = info.updatedAt;
    if (info.me && !(model.me && model.me.id === info.me.id)) model.me = { id: info.me.id, pushName: info.me.pushName };
    if (!info.me) model.me = null;
    history.replaceChildren(
      ...info.history.map((e) =>
        h(
          'li',
          {},
          h('span', { class: `badge s-${e.status}` }, e.status),
          ' ',
          h('span', { class: 'reason' }, e.reason),
          ' ',
          h('time', { datetime: e.at }, dateTime(e.at)),
        ),
      ),
    );
    render();
    await loadMe();
  }

  const unsubscribe = subscribe((env) => {
    if ((env.instance_id ?? env.session) !== id) return;
    if (env.event === 'message') return send.onMessage(env.payload);
    if (!applyEvent(model, env)) return;
    if (env.event === 'session.status' && env.payload?.status === 'WORKING') model.mismatch = null;
    render();
    if (env.event === 'session.status') void refresh();
    else if (env.event === 'session.identity') void loadMe();
  });

  void refresh();
  const el = h(
    'div',
    { class: 'instance' },
    h('p', {}, h('a', { href: '#/instances' }, '← All instances')),
    heading,
    statusLine,
    alertBox,
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        {},
        section(
          'Identity',
          who,
          facts,
          h('h3', {}, '/v2/session/me'),
          mePre,
          meErr,
          copyButton('Copy /me answer', () => mePre.textContent),
        ),
        section('Actions', actionsBar, actionErr),
        qr.el,
        sandbox.el,
      ),
      h('div', {}, config.el, section('History', history), send.el),
    ),
    hooks.el,
  );
  return {
    el,
    title: `Instance ${id}`,
    unmount() {
      stopped = true;
      unsubscribe();
      qr.stop();
      hooks.stop();
    },
  };
}
