// Sign-in: an account access token or the admin token, checked against the API before it is kept.

import { call } from '../api.js';
import { errorBox, field, h, uid } from '../dom.js';
import { update } from '../session.js';
import { run } from '../ui.js';

export function signInView(done) {
  const token = field(
    'Token',
    { type: 'password', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false', class: 'mono' },
    'Kept in this browser tab only (sessionStorage) and sent as a request header.',
  );
  const kindName = uid('kind');
  const kinds = [
    ['account', 'Account access token'],
    ['admin', 'Admin token'],
  ].map(([value, label], i) => {
    const id = uid();
    return h(
      'div',
      { class: 'choice' },
      h('input', { type: 'radio', name: kindName, id, value, checked: i === 0 }),
      h('label', { for: id }, label),
    );
  });
  const err = errorBox();
  const form = h(
    'form',
    { class: 'panel narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('fieldset', {}, h('legend', {}, 'Sign in with'), kinds),
    token.wrap,
    err,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const kind = form.querySelector(`input[name="${kindName}"]:checked`).value;
    const value = token.input.value.trim();
    run(form, err, async () => {
      // Checked with the token itself; a wrong one is the API's 401 message, and nothing is stored.
      if (kind === 'admin') {
        await call('GET', '/admin/accounts', { auth: 'none', headers: { authorization: `Bearer ${value}` } });
        update({ admin: value });
      } else {
        await call('GET', '/v2/account/stats', { auth: 'none', headers: { 'access-token': value } });
        update({ account: { token: value } });
      }
      done();
    });
  });
  return { el: h('div', { class: 'center' }, form), title: 'Sign in' };
}
