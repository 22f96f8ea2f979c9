// Sandbox mode (GET /health says sandbox: true): a simulated phone for this instance through /sandbox/*, which
// needs the admin token. An account user is asked for it once per browser tab; an admin who opened an account
// keeps theirs. Nothing here is a back door: these are the documented sandbox routes, with their own auth.

import { admin, call } from '../api.js';
import { errorBox, field, h, section, select, uid } from '../dom.js';
import { formatPhone } from '../format.js';
import { load, update } from '../session.js';
import { confirmAction, notify, run } from '../ui.js';

let health = null;
export const sandboxMode = () =>
  (health ??= call('GET', '/health', { auth: 'none' }).then(
    (b) => b.sandbox === true,
    () => false,
  ));

const digits = (v) => v.replace(/\D/g, '');

function adminTokenForm(onDone) {
  const token = field(
    'Admin token',
    { type: 'password', autocomplete: 'off', required: true, class: 'mono' },
    'The simulated phone uses the /sandbox routes, which take the admin token. It is kept for this tab only.',
  );
  const err = errorBox();
  const form = h(
    'form',
    {},
    h('p', {}, 'To act as a simulated phone, enter the admin token once.'),
    token.wrap,
    err,
    h('button', { type: 'submit' }, 'Use admin token'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = token.input.value.trim();
    run(form, err, async () => {
      await call('GET', '/sandbox/phones', { auth: 'none', headers: { authorization: `Bearer ${value}` } });
      update({ admin: value });
      onDone();
    });
  });
  return form;
}

function scanForm(ctx) {
  const phone = field('Phone number', { name: 'phone', inputmode: 'tel', required: true, value: '+20 101 234 5678' });
  const name = field('Name on the phone', { name: 'push_name', value: 'John Doe' });
  const kindName = uid('kind');
  const kind = h(
    'fieldset',
    { class: 'inline' },
    h('legend', {}, 'Account type'),
    ['personal', 'business'].map((k, i) => {
      const id = uid();
      return h(
        'span',
        { class: 'choice' },
        h('input', { type: 'radio', name: kindName, id, value: k, checked: i === 0 }),
        h('label', { for: id }, k === 'personal' ? 'Personal' : 'Business'),
      );
    }),
  );
  const device = select(
    'Platform',
    [
      ['android', 'Android'],
      ['iphone', 'iPhone'],
    ],
    { name: 'device' },
  );
  const err = errorBox();
  const form = h(
    'form',
    {},
    phone.wrap,
    name.wrap,
    kind,
    device.wrap,
    err,
    h('button', { type: 'submit' }, 'Scan the QR code with this phone'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const business = form.querySelector(`input[name="${kindName}"]:checked`).value === 'business';
    const raw = business ? (device.input.value === 'android' ? 'smba' : 'smbi') : device.input.value;
    run(form, err, async () => {
      const qr = ctx.qrValue();
      if (!qr) throw new Error('No QR code on screen: start the instance and wait for its QR code.');
      const pushName = name.input.value.trim() || null;
      await admin('POST', '/sandbox/scan', {
        body: {
          qr,
          phone: digits(phone.input.value),
          push_name: pushName,
          platform: raw,
          ...(business ? { business_name: pushName ?? 'Business' } : {}),
        },
      });
      notify('The simulated phone scanned the QR code.');
    });
  });
  return form;
}

function codeForm(ctx) {
  const phone = field('Phone number', { name: 'phone', inputmode: 'tel', required: true });
  const code = field(
    'Pairing code',
    { name: 'code', required: true, class: 'mono' },
    'Filled in from “Get pairing code” above.',
  );
  const err = errorBox();
  const form = h(
    'form',
    {},
    phone.wrap,
    code.wrap,
    err,
    h('button', { type: 'submit' }, 'Enter the code on this phone'),
  );
  form.addEventListener('focusin', () => {
    const c = ctx.pairingCode();
    if (c && !code.input.value) code.input.value = c.code;
    if (c && !phone.input.value) phone.input.value = formatPhone(c.phone);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(form, err, async () => {
      await admin('POST', '/sandbox/enter-code', {
        body: { phone: digits(phone.input.value), code: code.input.value.trim(), push_name: 'John Doe' },
      });
      notify('The simulated phone entered the code.');
    });
  });
  return form;
}

function phoneForms(ctx) {
  const linked = () => (ctx.linkedPhone() ? formatPhone(ctx.linkedPhone()) : '');
  const renamePhone = field('Phone number', { name: 'phone', inputmode: 'tel', required: true });
  const newName = field('New name', { name: 'push_name', required: true, maxlength: 100 });
  const renameErr = errorBox();
  const rename = h('form', {}, renamePhone.wrap, newName.wrap, renameErr, h('button', { type: 'submit' }, 'Rename'));
  rename.addEventListener('submit', (e) => {
    e.preventDefault();
    run(rename, renameErr, async () => {
      await admin('PATCH', `/sandbox/phones/${digits(renamePhone.input.value)}`, {
        body: { push_name: newName.input.value.trim() },
      });
      notify('The phone changed its name; the linked device learns it by app-state sync.');
    });
  });

  const contact = field('From (a contact’s number)', {
    name: 'from',
    inputmode: 'tel',
    required: true,
    value: '+20 122 000 0001',
  });
  const toPhone = field('To (the linked number)', { name: 'to', inputmode: 'tel', required: true });
  const text = field('Text', { name: 'text', required: true, value: 'Hello from the sandbox' });
  const msgErr = errorBox();
  const message = h(
    'form',
    {},
    contact.wrap,
    toPhone.wrap,
    text.wrap,
    msgErr,
    h('button', { type: 'submit' }, 'Send from contact'),
  );
  message.addEventListener('submit', (e) => {
    e.preventDefault();
    run(message, msgErr, async () => {
      await admin('POST', `/sandbox/phones/${digits(contact.input.value)}/messages`, {
        body: { to: digits(toPhone.input.value), text: text.input.value },
      });
      notify('The contact sent a text.');
    });
  });

  const unlinkPhone = field('Phone number', { name: 'phone', inputmode: 'tel', required: true });
  const unlinkErr = errorBox();
  const unlink = h(
    'form',
    {},
    unlinkPhone.wrap,
    unlinkErr,
    h('button', { type: 'submit', class: 'danger' }, 'Unlink device'),
  );
  unlink.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (
      !(await confirmAction(
        'Unlink device',
        'The simulated phone removes its linked devices (the instance sees “device removed”).',
        'Unlink',
      ))
    )
      return;
    run(unlink, unlinkErr, async () => {
      const r = await admin('POST', `/sandbox/phones/${digits(unlinkPhone.input.value)}/unlink`);
      notify(`Unlinked ${r.removed} device(s).`);
    });
  });

  // The linked number is the natural default; filled in when a field is still empty.
  const prefill = () => {
    for (const input of [renamePhone.input, toPhone.input, unlinkPhone.input]) if (!input.value) input.value = linked();
  };
  return {
    nodes: [
      h('h3', {}, 'Rename the phone'),
      rename,
      h('h3', {}, 'A contact sends a text'),
      message,
      h('h3', {}, 'Unlink'),
      unlink,
    ],
    prefill,
  };
}

export function sandboxPanel(ctx) {
  const body = h('div');
  const el = section(
    'Simulated phone (sandbox)',
    h('p', { class: 'muted' }, 'Sandbox mode: no real phone needed. These controls act as the phone.'),
    body,
  );
  el.hidden = true;
  let status = null;
  let forms = null;

  const render = () => {
    body.replaceChildren();
    if (!load().admin) {
      forms = null;
      body.append(adminTokenForm(render));
      return;
    }
    forms = phoneForms(ctx);
    body.append(
      h('h3', {}, 'Scan the QR code'),
      scanForm(ctx),
      h('h3', {}, 'Enter a pairing code'),
      codeForm(ctx),
      ...forms.nodes,
    );
    forms.prefill();
  };

  sandboxMode().then((on) => {
    if (!on) return;
    el.hidden = false;
    render();
  });
  return {
    el,
    setStatus(next) {
      status = next;
      if (status === 'WORKING') forms?.prefill();
    },
  };
}
