// Webhooks of one instance (/v2/session/webhook: add, pause/resume, test) and their recent deliveries with
// attempts and a redeliver button (/v2/webhooks/deliveries).

import { account, instance as api } from '../api.js';
import { errorBox, field, h, section } from '../dom.js';
import { dateTime } from '../format.js';
import { actionForm, notify, run, secretBox } from '../ui.js';

const TEST_WINDOW_MS = 15 * 60_000;

/** The list as POST /v2/session/webhook takes it (posting replaces the set, matched by URL; secrets are kept). */
const asInput = (hooks) => hooks.map((w) => ({ url: w.url, events: w.events, is_active: w.is_active }));

export function webhooksPanel(id) {
  const list = h('ul', { class: 'hooks' });
  const listErr = errorBox();
  const url = field('Webhook URL', {
    type: 'url',
    name: 'url',
    required: true,
    placeholder: 'https://example.com/hook',
  });
  const events = field(
    'Events',
    { name: 'events', value: '*', required: true },
    'Comma-separated: session.status, session.identity, message, … or * for all.',
  );
  const secret = h('div');
  const rows = h('tbody');
  const delErr = errorBox();
  const table = h(
    'table',
    { class: 'deliveries' },
    h('caption', {}, 'Recent deliveries (newest first)'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Event', 'URL', 'Status', 'Attempts', 'Last error', 'When', ''].map((t) =>
          h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
    ),
    rows,
  );
  let hooks = [];
  let timer = null;

  const save = (next) => api(id, 'POST', '/v2/session/webhook', { body: { webhooks: asInput(next) } });

  const renderHooks = () => {
    list.replaceChildren(
      ...hooks.map((w) => {
        const err = errorBox();
        const toggle = h('button', { type: 'button', class: 'secondary' }, w.is_active ? 'Pause' : 'Resume');
        toggle.addEventListener('click', () =>
          run(toggle, err, async () => {
            hooks = (await save(hooks.map((x) => (x.url === w.url ? { ...x, is_active: !x.is_active } : x)))).webhooks;
            renderHooks();
          }),
        );
        const test = h('button', { type: 'button', class: 'secondary' }, 'Test');
        test.addEventListener('click', () =>
          run(test, err, async () => {
            const r = await account('POST', '/v2/webhooks/redeliver', {
              body: { instance_id: id, since: Date.now() - TEST_WINDOW_MS },
            });
            notify(
              r.queued > 0
                ? `Test: ${r.queued} recent event(s) queued again to active webhooks.`
                : 'Test: no event in the last 15 minutes to send; start or stop the instance to make one.',
            );
            void loadDeliveries();
          }),
        );
        return h(
          'li',
          { class: w.is_active ? '' : 'paused' },
          h('span', { class: 'mono url' }, w.url),
          ' ',
          h('span', { class: 'badge' }, w.is_active ? 'active' : 'paused'),
          ' ',
          h('span', { class: 'muted' }, w.events.join(', ')),
          ' ',
          toggle,
          ' ',
          test,
          err,
        );
      }),
    );
    if (hooks.length === 0) list.append(h('li', { class: 'muted' }, 'No webhooks for this instance.'));
  };

  const loadHooks = async () => {
    await run(list, listErr, async () => {
      hooks = (await api(id, 'GET', '/v2/session/webhook')).webhooks;
      renderHooks();
    });
  };

  const loadDeliveries = async () => {
    let found;
    try {
      found = await account('GET', '/v2/webhooks/deliveries', { query: { instance_id: id, limit: '20' } });
    } catch (err) {
      delErr.textContent = err.message;
      delErr.hidden = false;
      return;
    }
    delErr.hidden = true;
    rows.replaceChildren(
      ...found.map((d) => {
        const err = errorBox();
        const again = h('button', { type: 'button', class: 'secondary', dataset: { delivery: d.id } }, 'Redeliver');
        again.addEventListener('click', () =>
          run(again, err, async () => {
            await account('POST', `/v2/webhooks/deliveries/${encodeURIComponent(d.id)}/redeliver`);
            notify(`Delivery ${d.id} queued again.`);
            await loadDeliveries();
          }),
        );
        return h(
          'tr',
          { dataset: { status: d.status } },
          h('td', {}, d.event),
          h('td', { class: 'mono url' }, d.url),
          h('td', {}, h('span', { class: `badge d-${d.status}` }, d.status)),
          h('td', { class: 'num' }, String(d.attempts)),
          h('td', { class: 'small' }, d.last_error ?? ''),
          h('td', {}, dateTime(d.delivered_at ?? d.created_at)),
          h('td', {}, again, err),
        );
      }),
    );
    if (found.length === 0) rows.append(h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'No deliveries yet.')));
  };

  const form = actionForm({ submit: 'Add webhook', cls: 'inline-form' }, [url.wrap, events.wrap], async () => {
    const list = events.input.value.split(',').map((e) => e.trim());
    const wanted = { url: url.input.value.trim(), events: list.filter(Boolean), is_active: true };
    hooks = (await save([...hooks.filter((w) => w.url !== wanted.url), wanted])).webhooks;
    const created = hooks.find((w) => w.secret);
    secret.replaceChildren(created ? secretBox('Signing secret', created.secret) : '');
    renderHooks();
    url.input.value = '';
  });

  void loadHooks();
  void loadDeliveries();
  timer = setInterval(() => void loadDeliveries(), 3000);
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh deliveries');
  refresh.addEventListener('click', () => void loadDeliveries());
  return {
    el: section(
      'Webhooks',
      h(
        'p',
        { class: 'muted' },
        'Test sends this instance’s events of the last 15 minutes again to its active webhooks (same event ids).',
      ),
      list,
      listErr,
      form,
      secret,
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Recent deliveries' }, table),
      delErr,
      refresh,
    ),
    stop: () => clearInterval(timer),
  };
}
