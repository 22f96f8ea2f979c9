// Sandbox mode (GET /health says sandbox: true): a simulated phone for this instance through /sandbox/*, which
// needs the admin token. An account user is asked for it once per browser tab; an admin who opened an account
// keeps theirs. Nothing here is a back door: these are the documented sandbox routes, with their own auth.

import { admin, call } from '../api.js';
import { field, h, section, select, uid } from '../dom.js';
import { formatPhone } from '../format.js';
import { load, update } from '../session.js';
import { actionForm, confirmAction, notify } from '../ui.js';

let health = null;
export const sandboxMode = () =>
  (health ??= call('GET', '/health', { auth: 'none' }).then(
    (b) => b.sandbox === true,
    () => false,
  ));

const digits = (v) => v.replace(/\D/g, '');
const phoneField = (label = 'Phone number', value) =>
  field(label, { name: 'phone', inputmode: 'tel', required: true, value });

function adminTokenForm(onDone) {
  const token = field(
    'Admin token',
    { type: 'password', autocomplete: 'off', required: true, class: 'mono' },
    'The simulated phone uses the /sandbox routes, which take the admin token. It is kept for this tab only.',
  );
  const intro = h('p', {}, 'To act as a simulated phone, enter the admin token once.');
  return actionForm({ submit: 'Use admin token' }, [intro, token.wrap], async () => {
    const value = token.input.value.trim();
    await call('GET', '/sandbox/phones', { auth: 'none', headers: { authorization: `Bearer ${value}` } });
    update({ admin: value });
    onDone();
  });
}

function kindChoice() {
  const name = uid('kind');
  const el = h(
    'fieldset',
    { class: 'inline' },
    h('legend', {}, 'Account type'),
    ['personal', 'business'].map((k, i) => {
      const id = uid();
      return h(
        'span',
        { class: 'choice' },
        h('input', { type: 'radio', name, id, value: k, checked: i === 0 }),
        h('label', { for: id }, k === 'personal' ? 'Personal' : 'Business'),
      );
    }),
  );
  return { el, business: () => el.querySelector(`input[name="${name}"]:checked`).value === 'business' };
}

function scanForm(ctx) {
  const phone = phoneField('Phone number', '+20 101 234 5678');
  const name = field('Name on the phone', { name: 'push_name', value: 'John Doe' });
  const kind = kindChoice();
  const device = select(
    'Platform',
    [
      ['android', 'Android'],
      ['iphone', 'iPhone'],
    ],
    { name: 'device' },
  );
  const fields = [phone.wrap, name.wrap, kind.el, device.wrap];
  return actionForm({ submit: 'Scan the QR code with this phone' }, fields, async () => {
    const business = kind.business();
    // WhatsApp's platform names: business accounts are smba (Android) and smbi (iPhone).
    const raw = business ? (device.input.value === 'android' ? 'smba' : 'smbi') : device.input.value;
    const qr = ctx.qrValue();
    if (!qr) throw new Error('No QR code on screen: start the instance and wait for its QR code.');
    const pushName = name.input.value.trim() || null;
    const body = { qr, phone: digits(phone.input.value), push_name: pushName, platform: raw };
    await admin('POST', '/sandbox/scan', {
      body: business ? { ...body, business_name: pushName ?? 'Business' } : body,
    });
    notify('The simulated phone scanned the QR code.');
  });
}

function codeForm(ctx) {
  const phone = phoneField();
  const code = field(
    'Pairing code',
    { name: 'code', required: true, class: 'mono' },
    'Filled in from “Get pairing code” above.',
  );
  const form = actionForm({ submit: 'Enter the code on this phone' }, [phone.wrap, code.wrap], async () => {
    const body = { phone: digits(phone.input.value), code: code.input.value.trim(), push_name: 'John Doe' };
    await admin('POST', '/sandbox/enter-code', { body });
    notify('The simulated phone entered the code.');
  });
  form.addEventListener('focusin', () => {
    const c = ctx.pairingCode();
    if (c && !code.input.value) code.input.value = c.code;
    if (c && !phone.input.value) phone.input.value = formatPhone(c.phone);
  });
  return form;
}

function phoneForms(ctx) {
  const renamePhone = phoneField();
  const newName = field('New name', { name: 'push_name', required: true, maxlength: 100 });
  const rename = actionForm({ submit: 'Rename' }, [renamePhone.wrap, newName.wrap], async () => {
    const body = { push_name: newName.input.value.trim() };
    await admin('PATCH', `/sandbox/phones/${digits(renamePhone.input.value)}`, { body });
    notify('The phone changed its name; the linked device learns it by app-state sync.');
  });

  const contact = phoneField('From (a contact’s number)', '+20 122 000 0001');
  const toPhone = phoneField('To (the linked number)');
  const text = field('Text', { name: 'text', required: true, value: 'Hello from the sandbox' });
  const message = actionForm({ submit: 'Send from contact' }, [contact.wrap, toPhone.wrap, text.wrap], async () => {
    const body = { to: digits(toPhone.input.value), text: text.input.value };
    await admin('POST', `/sandbox/phones/${digits(contact.input.value)}/messages`, { body });
    notify('The contact sent a text.');
  });

  const unlinkPhone = phoneField();
  const question = 'The simulated phone removes its linked devices (the instance sees “device removed”).';
  const confirm = () => confirmAction('Unlink device', question, 'Unlink');
  const unlink = actionForm({ submit: 'Unlink device', danger: true, confirm }, [unlinkPhone.wrap], async () => {
    const r = await admin('POST', `/sandbox/phones/${digits(unlinkPhone.input.value)}/unlink`);
    notify(`Unlinked ${r.removed} device(s).`);
  });

  // The linked number is the natural default; filled in when a field is still empty.
  const linked = () => (ctx.linkedPhone() ? formatPhone(ctx.linkedPhone()) : '');
  const prefill = () => {
    for (const input of [renamePhone.input, toPhone.input, unlinkPhone.input]) if (!input.value) input.value = linked();
  };
  const nodes = [
    h('h3', {}, 'Rename the phone'),
    rename,
    h('h3', {}, 'A contact sends a text'),
    message,
    h('h3', {}, 'Unlink'),
    unlink,
  ];
  return { nodes, prefill };
}

export function sandboxPanel(ctx) {
  const body = h('div');
  const intro = h('p', { class: 'muted' }, 'Sandbox mode: no real phone needed. These controls act as the phone.');
  const el = section('Simulated phone (sandbox)', intro, body);
  el.hidden = true;
  let forms = null;

  const render = () => {
    body.replaceChildren();
    if (!load().admin) {
      forms = null;
      body.append(adminTokenForm(render));
      return;
    }
    forms = phoneForms(ctx);
    const scan = [h('h3', {}, 'Scan the QR code'), scanForm(ctx)];
    body.append(...scan, h('h3', {}, 'Enter a pairing code'), codeForm(ctx), ...forms.nodes);
    forms.prefill();
  };

  sandboxMode().then((on) => {
    if (!on) return;
    el.hidden = false;
    render();
  });
  return {
    el,
    setStatus(status) {
      if (status === 'WORKING') forms?.prefill();
    },
  };
}
