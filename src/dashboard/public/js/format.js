// Presentation helpers: international phone format, relative times, platform icons.

import { svg } from './dom.js';

// ITU-T E.164 country codes are prefix-free: these are the 1- and 2-digit ones; every other code has 3 digits.
const CC1 = new Set(['1', '7']);
const CC2 = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

export function digitsOf(jidOrPhone) {
  return String(jidOrPhone ?? '')
    .split('@')[0]
    .split(':')[0]
    .replace(/\D/g, '');
}

/** "201012345678@c.us" → "+20 101 234 5678" (country code, then groups of three with a final four). */
export function formatPhone(jidOrPhone) {
  const digits = digitsOf(jidOrPhone);
  if (!digits) return '';
  const ccLen = CC1.has(digits[0]) ? 1 : CC2.has(digits.slice(0, 2)) ? 2 : 3;
  const cc = digits.slice(0, ccLen);
  let rest = digits.slice(ccLen);
  const groups = [];
  while (rest.length > 4) {
    groups.push(rest.slice(0, 3));
    rest = rest.slice(3);
  }
  if (rest) groups.push(rest);
  return `+${cc} ${groups.join(' ')}`.trim();
}

const UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function timeAgo(iso, now = Date.now()) {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const diff = t - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') return rtf.format(Math.round(diff / ms), unit);
  }
  return '';
}

export function dateTime(iso) {
  const t = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : t.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** api.md's platform mapping: android | ios | web | unknown (raw values as WhatsApp sent them). */
export function platformOf(raw) {
  const v = String(raw ?? '').toLowerCase();
  if (['android', 'smba'].includes(v)) return 'android';
  if (['ios', 'iphone', 'ipad', 'smbi'].includes(v)) return 'ios';
  if (['web', 'desktop', 'macos', 'windows'].includes(v)) return 'web';
  return 'unknown';
}

const ICONS = {
  android: [
    ['path', { d: 'M6 10h12v7a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2z' }],
    ['path', { d: 'M6 9a6 5 0 0 1 12 0z' }],
    ['path', { d: 'M8 3l1.5 2.5M16 3l-1.5 2.5', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.5' }],
  ],
  ios: [
    [
      'rect',
      {
        x: '7',
        y: '2',
        width: '10',
        height: '20',
        rx: '2.5',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': '1.8',
      },
    ],
    ['circle', { cx: '12', cy: '18.5', r: '1.2' }],
  ],
  web: [
    ['circle', { cx: '12', cy: '12', r: '9', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.8' }],
    [
      'path',
      {
        d: 'M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': '1.5',
      },
    ],
  ],
  unknown: [
    ['circle', { cx: '12', cy: '12', r: '9', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.8' }],
    [
      'path',
      {
        d: 'M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .8-1 1.5v.7',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': '1.8',
      },
    ],
    ['circle', { cx: '12', cy: '17', r: '1.1' }],
  ],
};

/** A decorative icon for a platform (the text next to it says the platform). */
export function platformIcon(platform) {
  const parts = ICONS[platform] ?? ICONS.unknown;
  return svg(
    'svg',
    {
      class: `icon icon-${platform}`,
      viewBox: '0 0 24 24',
      width: '18',
      height: '18',
      'aria-hidden': 'true',
      focusable: 'false',
      fill: 'currentColor',
    },
    parts.map(([tag, attrs]) => svg(tag, attrs)),
  );
}

export const STATUSES = ['WORKING', 'SCAN_QR_CODE', 'STARTING', 'STOPPED', 'FAILED'];

/** The name an identity is shown by (api.md: displayName = pushName, else business name, else +digits). */
export function displayNameOf(me) {
  if (!me) return null;
  return me.displayName ?? me.pushName ?? me.name ?? (me.id ? formatPhone(me.id) : null);
}
