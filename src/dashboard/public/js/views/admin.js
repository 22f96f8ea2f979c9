// Admin: accounts with their quotas, create an account, issue and revoke access tokens (each new token is shown
// once with a copy button, and can open the dashboard as that account while the admin token stays for /sandbox).

import { admin } from '../api.js';
import { errorBox, field, h, section } from '../dom.js';
import { dateTime } from '../format.js';
import { update } from '../session.js';
import { actionForm, confirmAction, notify, run, secretBox } from '../ui.js';

export function adminView() {
  const rows = h('tbody');
  const listErr = errorBox();
  const shown = h('div', { 'aria-live': 'polite' });
  const issued = h('ul', { class: 'issued' });

  const openAs = (acc, token) => {
    const b = h('button', { type: 'button' }, `Open the dashboard as ${acc.name}`);
    b.addEventListener('click', () => {
      update({ account: { token, name: acc.name, maxInstances: acc.max_instances } });
      window.dispatchEvent(new Event('switchboard:signedin'));
    });
    return b;
  };

  const revokeButton = (tokenId, onDone) => {
    const err = errorBox();
    const b = h('button', { type: 'button', class: 'danger' }, 'Revoke');
    b.addEventListener('click', async () => {
      if (
        !(await confirmAction(
          'Revoke token',
          `Token ${tokenId} stops working at once, for every client using it.`,
          'Revoke',
        ))
      )
        return;
      run(b, err, async () => {
        await admin('DELETE', `/admin/tokens/${encodeURIComponent(tokenId)}`);
        notify(`Token ${tokenId} revoked.`);
        onDone?.();
      });
    });
    return h('span', {}, b, err);
  };

  const showToken = (acc, token, tokenId) => {
    shown.replaceChildren(
      secretBox(`Access token for ${acc.name}`, token, h('div', { class: 'row wrap' }, openAs(acc, token))),
    );
    if (tokenId) {
      const li = h('li', {}, h('span', { class: 'mono' }, tokenId), ` (${acc.name}) `);
      li.append(revokeButton(tokenId, () => li.remove()));
      issued.prepend(li);
    }
  };

  const load = async () => {
    await run(rows, listErr, async () => {
      const accounts = await admin('GET', '/admin/accounts');
      rows.replaceChildren(
        ...accounts.map((acc) => {
          const err = errorBox();
          const issue = h('button', { type: 'button', class: 'secondary' }, 'New token');
          issue.addEventListener('click', () =>
            run(issue, err, async () => {
              const t = await admin('POST', `/admin/accounts/${encodeURIComponent(acc.id)}/tokens`);
              showToken(acc, t.access_token, t.token_id);
            }),
          );
          return h(
            'tr',
            {},
            h('td', {}, acc.name),
            h('td', { class: 'mono' }, acc.id),
            h('td', { class: 'num' }, String(acc.max_instances)),
            h('td', {}, dateTime(acc.created_at)),
            h('td', {}, issue, err),
          );
        }),
      );
      if (accounts.length === 0)
        rows.append(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No accounts yet.')));
    });
  };

  const name = field('Account name', { name: 'name', required: true, maxlength: 200 });
  const max = field('Max instances', {
    name: 'max_instances',
    type: 'number',
    min: '0',
    max: '100000',
    value: '10',
    required: true,
  });
  const create = actionForm({ submit: 'Create account', cls: 'inline-form' }, [name.wrap, max.wrap], async () => {
    const body = { name: name.input.value.trim(), max_instances: Number(max.input.value) };
    const acc = await admin('POST', '/admin/accounts', { body });
    showToken(acc, acc.access_token, null);
    create.reset();
    await load();
  });

  const tokenId = field('Token id', { name: 'token_id', required: true, class: 'mono' });
  const confirmRevoke = () =>
    confirmAction('Revoke token', `Token ${tokenId.input.value} stops working at once.`, 'Revoke');
  const revokeOpts = { submit: 'Revoke token', danger: true, cls: 'inline-form', confirm: confirmRevoke };
  const revoke = actionForm(revokeOpts, [tokenId.wrap], async () => {
    await admin('DELETE', `/admin/tokens/${encodeURIComponent(tokenId.input.value.trim())}`);
    notify('Token revoked.');
    revoke.reset();
  });

  void load();
  const table = h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, 'Accounts'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Name', 'Id', 'Max instances', 'Created', 'Tokens'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    rows,
  );
  return {
    el: h(
      'div',
      {},
      h('h1', {}, 'Administration'),
      section('New account', create),
      shown,
      section(
        'Accounts',
        h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Accounts' }, table),
        listErr,
      ),
      section(
        'Tokens issued here',
        h('p', { class: 'muted' }, 'Tokens issued with “New token” in this tab, to revoke them in one click.'),
        issued,
        h('h3', {}, 'Revoke any token by id'),
        revoke,
      ),
    ),
    title: 'Admin',
  };
}
