// A horizontal bar chart as inline SVG (no library, no inline style: presentation attributes and CSS classes).

import { h, svg } from './dom.js';

/** rows: [{label, value, key}]; returns a <figure> with the chart and a text summary for screen readers. */
export function barChart(title, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = 34;
  const labelW = 90;
  const barW = 220;
  const width = labelW + barW + 50;
  const height = rows.length * rowH + 8;
  const summary = rows.map((r) => `${r.label}: ${r.value}`).join(', ');
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `${title}. ${summary}` },
    svg('title', {}, title),
    rows.map((r, i) => {
      const y = i * rowH + 4;
      const w = Math.round((r.value / max) * barW);
      return svg(
        'g',
        { class: `bar bar-${r.key}` },
        svg('text', { x: '0', y: String(y + 20), class: 'chart-label' }, r.label),
        svg('rect', { x: String(labelW), y: String(y + 4), width: String(Math.max(w, 2)), height: '22', rx: '3' }),
        svg(
          'text',
          { x: String(labelW + Math.max(w, 2) + 6), y: String(y + 20), class: 'chart-value' },
          String(r.value),
        ),
      );
    }),
  );
  return h('figure', { class: 'chart-figure' }, chart, h('figcaption', {}, title));
}
