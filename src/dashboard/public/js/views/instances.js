// Instances: one card per instance, kept live by the event stream (each event updates its own card only).

import { account, instance as instanceCall } from '../api.js';
import { errorBox, field, h, section } from '../dom.js';
import { subscribe } from '../live.js';
import { applyEvent, fromMe, fromSummary } from '../model.js';
import { actionForm } from '../ui.js';
import { createCard } from './card.js';

/** Runs fn over items, at most `limit` at a time (a page with 200 instances must not open 200 requests at once). */
async function pool(items, limit, fn) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      while (queue.length) await fn(queue.shift()).catch(() => {});
    }),
  );
}

export function instancesView() {
  const cards = new Map();
  const grid = h('div', { class: 'cards', 'aria-live': 'off' });
  const count = h('p', { class: 'muted' }, 'Loading instances…');
  const listErr = errorBox();
  let stopped = false;

  const name = field('Name', { name: 'name', maxlength: 200, placeholder: 'Sales desk' });
  const expected = field(
    'Expected phone (optional)',
    { name: 'expected_phone', inputmode: 'tel', placeholder: '+20 101 234 5678' },
    'With country code. A different phone is refused at link time.',
  );
  const form = actionForm({ submit: 'Create instance', cls: 'inline-form' }, [name.wrap, expected.wrap], async () => {
    const body = {
      name: name.input.value.trim() || undefined,
      expected_phone: expected.input.value.trim() || undefined,
    };
    const created = await account('POST', '/v2/session/create', { body });
    form.reset();
    location.hash = `#/instances/${created.instance_id}`;
  });

  // Filter by name, id, phone or display name: hides cards, so the list is not rebuilt on each keystroke.
  const search = field('Filter', { type: 'search', name: 'filter', placeholder: 'Name, number or status' });
  const matches = (m, q) =>
    !q ||
    [m.name, m.id, m.status, m.me?.id, m.me?.pushName, m.me?.displayName].some((v) =>
      String(v ?? '')
        .toLowerCase()
        .includes(q),
    );
  const applyFilter = () => {
    const q = search.input.value.trim().toLowerCase();
    for (const c of cards.values()) c.el.hidden = !matches(c.model, q);
  };
  search.input.addEventListener('input', applyFilter);

  const enrich = (model) =>
    instanceCall(model.id, 'GET', '/v2/session/me').then((me) => {
      if (model.status !== 'WORKING') return;
      model.me = { ...model.me, ...fromMe(me) };
      cards.get(model.id)?.update(model);
    });

  const addCard = (model, parent) => {
    const card = createCard(model);
    cards.set(model.id, { ...card, model });
    parent.append(card.el);
  };

  const load = async () => {
    const rows = await account('GET', '/v2/account/instances').catch((err) => {
      listErr.textContent = err.message;
      listErr.hidden = false;
      return null;
    });
    if (!rows || stopped) return;
    const fragment = document.createDocumentFragment();
    for (const row of rows) if (!cards.has(row.instance_id)) addCard(fromSummary(row), fragment);
    grid.append(fragment);
    updateCount();
    performance.mark('switchboard:instances-rendered', { detail: { count: cards.size } });
    await pool(
      [...cards.values()].map((c) => c.model).filter((m) => m.status === 'WORKING'),
      4,
      enrich,
    );
  };

  const updateCount = () => {
    count.textContent =
      cards.size === 0 ? 'No instances yet: create one above.' : `${cards.size} instance${cards.size === 1 ? '' : 's'}`;
  };

  const unsubscribe = subscribe((env) => {
    const id = env.instance_id ?? env.session;
    let card = cards.get(id);
    if (!card) {
      if (env.event !== 'session.status') return;
      // An instance created elsewhere (another tab, the API): it appears on its first status event.
      addCard(
        {
          id,
          name: env.payload?.name ?? id,
          status: env.payload?.status,
          reason: env.payload?.reason,
          since: null,
          me: null,
        },
        grid,
      );
      updateCount();
      card = cards.get(id);
    }
    if (applyEvent(card.model, env)) card.update(card.model);
    if (env.event === 'session.status' && env.payload?.status === 'WORKING' && !card.model.me?.platformRaw)
      void enrich(card.model);
  });
  const ticker = setInterval(() => {
    for (const c of cards.values()) c.tick();
  }, 15_000);

  void load();
  const el = h(
    'div',
    {},
    h('h1', {}, 'Instances'),
    section('New instance', form),
    h(
      'section',
      { 'aria-labelledby': 'list-title', class: 'list' },
      h('h2', { id: 'list-title', class: 'visually-hidden' }, 'All instances'),
      h('div', { class: 'row wrap list-head' }, count, search.wrap),
      listErr,
      grid,
    ),
  );
  return {
    el,
    title: 'Instances',
    unmount() {
      stopped = true;
      unsubscribe();
      clearInterval(ticker);
    },
  };
}
