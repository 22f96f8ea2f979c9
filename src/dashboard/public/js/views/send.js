// A test text: the instance's signature template (saved through /v2/session/config), a live preview of what
// {{pushName}} and {{phone}} become, then /v2/send/text. Inbound texts of this instance are listed as they arrive.

import { instance as api } from '../api.js';
import { errorBox, field, h, section } from '../dom.js';
import { dateTime, displayNameOf, formatPhone, digitsOf } from '../format.js';
import { notify, run } from '../ui.js';
import { readConfig } from './config.js';

/** The gateway's substitution (README "Sending texts and signatures"): {{pushName}}, {{phone}}; others stay. */
export function renderSignature(template, me) {
  return template
    .replaceAll('{{pushName}}', me ? (me.pushName ?? displayNameOf(me) ?? '') : '{{pushName}}')
    .replaceAll('{{phone}}', me ? `+${digitsOf(me.id)}` : '{{phone}}');
}

export function sendPanel(id, { identity }) {
  const to = field('To (phone number)', {
    name: 'chatId',
    inputmode: 'tel',
    required: true,
    placeholder: '+20 123 456 7890',
  });
  const message = field('Message', { tag: 'textarea', name: 'message', required: true, rows: '3', maxlength: '4096' });
  const signature = field(
    'Signature template',
    { tag: 'textarea', name: 'signature', rows: '2', maxlength: '1000' },
    "Appended to every text this instance sends. {{pushName}}: the linked account's name now; {{phone}}: its number.",
  );
  const preview = h('pre', { class: 'preview', id: `preview-${id}`, 'aria-live': 'polite' });
  const err = errorBox();
  const result = h('output', { class: 'result' });
  const inbox = h('ul', { class: 'inbox', 'aria-live': 'polite' });
  let savedSignature = '';

  const updatePreview = () => {
    const sig = signature.input.value;
    preview.textContent = `${message.input.value || '(your message)'}${sig ? renderSignature(sig, identity()) : ''}`;
  };
  message.input.addEventListener('input', updatePreview);
  signature.input.addEventListener('input', updatePreview);
  readConfig(id).then(
    (cfg) => {
      savedSignature = cfg.signature ?? '';
      if (!signature.input.value) signature.input.value = savedSignature;
      updatePreview();
    },
    () => {},
  );

  const form = h(
    'form',
    {},
    to.wrap,
    message.wrap,
    signature.wrap,
    h('p', { class: 'label' }, 'Preview'),
    preview,
    err,
    h('button', { type: 'submit' }, 'Send test text'),
    result,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(form, err, async () => {
      const sig = signature.input.value;
      if (sig !== savedSignature) {
        await api(id, 'POST', '/v2/session/config', { body: { signature: sig || null } });
        savedSignature = sig;
      }
      const sent = await api(id, 'POST', '/v2/send/text', {
        body: { chatId: to.input.value, message: message.input.value },
      });
      result.textContent = `Sent (${sent.ackName}): “${sent.body}”`;
      message.input.value = '';
      updatePreview();
      notify('Text sent.');
    });
  });

  return {
    el: section('Send a test text', form, h('h3', {}, 'Received'), inbox),
    refreshPreview: updatePreview,
    onMessage(msg) {
      if (msg.fromMe) return;
      inbox.prepend(
        h(
          'li',
          {},
          h('strong', {}, `${msg.pushName ?? formatPhone(msg.from)}: `),
          msg.body ?? '',
          ' ',
          h('time', { class: 'muted' }, dateTime(msg.timestamp * (msg.timestamp < 1e12 ? 1000 : 1))),
        ),
      );
      while (inbox.children.length > 20) inbox.lastChild.remove();
    },
  };
}
