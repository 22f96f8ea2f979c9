// Instance settings: name and expected_phone (the intent check), through POST /v2/session/config.

import { instance as api } from '../api.js';
import { errorBox, field, h, section } from '../dom.js';
import { formatPhone } from '../format.js';
import { notify, run } from '../ui.js';

/** POST /v2/session/config with no field answers the current config unchanged (api.md "Extensions"). */
export const readConfig = (id) => api(id, 'POST', '/v2/session/config', { body: {} });

export function configPanel(id, { onSaved }) {
  const name = field('Name', { name: 'name', maxlength: 200 });
  const expected = field(
    'Expected phone',
    { name: 'expected_phone', inputmode: 'tel', placeholder: '+20 101 234 5678' },
    'With country code; empty: any phone may link. A different phone is unlinked at once and reported.',
  );
  const err = errorBox();
  const form = h('form', {}, name.wrap, expected.wrap, err, h('button', { type: 'submit' }, 'Save settings'));
  const fill = (cfg) => {
    name.input.value = cfg.name ?? '';
    expected.input.value = cfg.expected_phone ? formatPhone(cfg.expected_phone) : '';
  };
  readConfig(id).then(fill, (e) => {
    err.textContent = e.message;
    err.hidden = false;
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { name: name.input.value.trim() || undefined, expected_phone: expected.input.value.trim() || null };
    run(form, err, async () => {
      fill(await api(id, 'POST', '/v2/session/config', { body }));
      notify('Settings saved.');
      onSaved?.();
    });
  });
  return { el: section('Settings', form) };
}
