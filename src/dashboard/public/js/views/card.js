// One instance card. Built once, then updated field by field (a live event touches one card, not the list).

import { h } from '../dom.js';
import { displayNameOf, formatPhone, platformIcon, platformOf, timeAgo } from '../format.js';

function row(label) {
  const dd = h('dd');
  return { nodes: [h('dt', {}, label), dd], dd };
}

export function createCard(model) {
  const title = h('a', { href: `#/instances/${model.id}` });
  const badge = h('span', { class: 'badge' });
  const reason = h('span', { class: 'reason' });
  const since = h('time');
  const who = h('p', { class: 'who-line' });
  const phone = row('Phone');
  const lid = row('LID');
  const platform = row('Platform');
  const details = h('dl', { class: 'facts' }, phone.nodes, lid.nodes, platform.nodes);
  const el = h(
    'article',
    { class: 'card', dataset: { id: model.id } },
    h('h3', {}, title),
    h('p', { class: 'status-line' }, badge, ' ', reason, ' · since ', since),
    who,
    details,
  );

  const update = (m) => {
    title.textContent = m.name || m.id;
    el.dataset.status = m.status;
    badge.textContent = m.status;
    badge.className = `badge s-${m.status}`;
    reason.textContent = m.reason ?? '';
    since.dateTime = m.since ?? '';
    since.title = m.since ?? '';
    since.textContent = timeAgo(m.since);
    const me = m.me;
    const working = m.status === 'WORKING';
    who.replaceChildren();
    if (me && working) who.append('Connected as ', h('strong', { class: 'display-name' }, displayNameOf(me)));
    else if (me)
      who.append(
        h('span', { class: 'last-known' }, 'Last known: '),
        h('strong', { class: 'display-name' }, displayNameOf(me)),
      );
    else who.append(h('span', { class: 'muted' }, 'No phone linked'));
    details.hidden = !me;
    if (me) {
      phone.dd.textContent = formatPhone(me.id);
      lid.dd.textContent = me.lid ?? '—';
      const p = me.platform ?? platformOf(me.platformRaw);
      platform.dd.replaceChildren(platformIcon(p), ` ${me.platformRaw ?? p}`);
    }
  };
  update(model);
  return { el, update, tick: () => (since.textContent = timeAgo(model.since)) };
}
