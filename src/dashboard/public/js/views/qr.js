// Linking: the QR image (refreshed as WhatsApp rotates it, with a countdown to its expiry) and pairing by code.

import { instance as api } from '../api.js';
import { errorBox, field, h, section } from '../dom.js';
import { run } from '../ui.js';

export function qrPanel(id) {
  const img = h('img', {
    class: 'qr',
    alt: 'WhatsApp QR code: scan it with the phone (Settings → Linked devices → Link a device)',
    width: '264',
    height: '264',
    hidden: true,
  });
  const countdown = h('p', { class: 'countdown', 'aria-live': 'off' });
  const qrErr = errorBox();
  const phone = field(
    'Phone number',
    { name: 'phone', inputmode: 'tel', autocomplete: 'tel', placeholder: '+20 101 234 5678' },
    'The number of the phone that will enter the code.',
  );
  const codeOut = h('output', { class: 'pair-code', 'aria-live': 'polite' });
  const codeErr = errorBox();
  const codeForm = h('form', {}, phone.wrap, h('button', { type: 'submit' }, 'Get pairing code'), codeErr, codeOut);
  const body = h('div', { class: 'qr-box' }, img, countdown, qrErr);
  const el = section('Link a phone', body, h('h3', {}, 'Or pair with a code'), codeForm);
  el.hidden = true;
  let status = null;
  let value = null;
  let expiry = 0;
  let code = null;
  let objectUrl = null;
  let poller = null;
  let ticker = null;
  let busy = false;

  const tick = () => {
    const left = Math.max(0, Math.round((expiry - Date.now()) / 1000));
    countdown.textContent = value
      ? `This code expires in ${left} s; a new one replaces it automatically.`
      : 'Waiting for a QR code…';
  };

  /** Polls the raw QR (small JSON) each second; fetches the PNG only when the value changed. */
  const poll = async () => {
    if (busy || status !== 'SCAN_QR_CODE') return;
    busy = true;
    try {
      const qr = await api(id, 'GET', '/v2/auth/qr');
      expiry = qr.expiry;
      if (qr.value !== value) {
        const blob = await api(id, 'GET', '/v2/auth/qr-image', { accept: 'image/png', as: 'blob' });
        const next = URL.createObjectURL(blob);
        img.src = next;
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = next;
        value = qr.value;
        img.dataset.qr = value;
        img.hidden = false;
      }
      qrErr.hidden = true;
    } catch (err) {
      // 409 while the session moves between states is expected; say so only when it persists.
      if (err.status !== 409) {
        qrErr.textContent = err.message;
        qrErr.hidden = false;
      }
    } finally {
      busy = false;
      tick();
    }
  };

  const stop = () => {
    clearInterval(poller);
    clearInterval(ticker);
    poller = ticker = null;
  };

  codeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const digits = phone.input.value.replace(/[\s+().-]/g, '');
    run(codeForm, codeErr, async () => {
      const answer = await api(id, 'POST', '/v2/auth/request-code', { body: { phone_number: digits } });
      code = answer.code;
      codeOut.replaceChildren('Enter this code on the phone: ', h('strong', { class: 'mono' }, code));
    });
  });

  return {
    el,
    value: () => value,
    code: () => (code ? { code, phone: phone.input.value.replace(/\D/g, '') } : null),
    setStatus(next) {
      status = next;
      el.hidden = status !== 'SCAN_QR_CODE';
      if (status === 'SCAN_QR_CODE' && !poller) {
        poller = setInterval(poll, 1000);
        ticker = setInterval(tick, 1000);
        void poll();
      } else if (status !== 'SCAN_QR_CODE') {
        stop();
        value = null;
        code = null;
        img.hidden = true;
        codeOut.replaceChildren();
      }
    },
    stop() {
      stop();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    },
  };
}
