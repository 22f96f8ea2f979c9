// Account overview: WORKING instances by platform (chart), counts by status, quota used. Live: recomputed on
// every status or identity event (one small request, coalesced).

import { account } from '../api.js';
import { barChart } from '../chart.js';
import { errorBox, h, section } from '../dom.js';
import { STATUSES } from '../format.js';
import { subscribe } from '../live.js';
import { load } from '../session.js';

const PLATFORMS = [
  ['android', 'Android'],
  ['ios', 'iOS'],
  ['web', 'Web'],
  ['unknown', 'Unknown'],
];

export function overviewView() {
  const chartBox = h('div');
  const statusList = h('dl', { class: 'counts' });
  const quota = h('div', { class: 'quota' });
  const err = errorBox();
  let pending = null;

  const render = (stats) => {
    chartBox.replaceChildren(
      barChart(
        'WORKING instances by platform',
        PLATFORMS.map(([key, label]) => ({ key, label, value: stats.by_platform?.[key] ?? 0 })),
      ),
    );
    statusList.replaceChildren(
      ...STATUSES.flatMap((s) => [
        h('dt', {}, h('span', { class: `badge s-${s}` }, s)),
        h('dd', { dataset: { status: s } }, String(stats.by_status?.[s] ?? 0)),
      ]),
    );
    // The limit is known when the gateway reports it or when an admin opened this account from the admin view.
    const max = stats.max_instances ?? load().account?.maxInstances;
    quota.replaceChildren();
    if (typeof max === 'number') {
      const id = 'quota-meter';
      quota.append(
        h('label', { for: id }, `${stats.total} of ${max} instances used`),
        h('meter', { id, min: '0', max: String(max), value: String(stats.total), high: String(Math.ceil(max * 0.9)) }),
      );
    } else {
      quota.append(
        h(
          'p',
          {},
          `${stats.total} instance${stats.total === 1 ? '' : 's'} in use. `,
          h(
            'span',
            { class: 'muted' },
            'Your administrator sets the limit; creating beyond it answers “Forbidden - Quota or Limit Reached”.',
          ),
        ),
      );
    }
  };

  const refresh = () => {
    pending ??= account('GET', '/v2/account/stats')
      .then(render, (e) => {
        err.textContent = e.message;
        err.hidden = false;
      })
      .finally(() => (pending = null));
  };
  const unsubscribe = subscribe((env) => {
    if (env.event === 'session.status' || env.event === 'session.identity') refresh();
  });
  refresh();
  return {
    el: h(
      'div',
      {},
      h('h1', {}, 'Overview'),
      err,
      h(
        'div',
        { class: 'columns' },
        section('Platforms', chartBox),
        h('div', {}, section('By status', statusList), section('Quota', quota)),
      ),
    ),
    title: 'Overview',
    unmount: unsubscribe,
  };
}
