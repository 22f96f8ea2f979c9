// Shared interaction pieces: the notice line, the confirmation dialog, copy buttons, busy buttons.

import { errorBox, h } from './dom.js';

export function notify(text) {
  const el = document.getElementById('notice');
  el.textContent = text;
  el.hidden = !text;
}

/** Resolves true when the user confirms (native modal <dialog>: focus trapped, Escape cancels). */
export function confirmAction(title, text, okLabel = 'Confirm') {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

/** A button that copies text() to the clipboard and says so. */
export function copyButton(label, text) {
  const status = h('span', { class: 'copied', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
          status.textContent = 'Copied';
        } catch {
          status.textContent = 'Copy failed: select the text and copy it by hand';
        }
        setTimeout(() => (status.textContent = ''), 3000);
      },
    },
    label,
  );
  return h('span', { class: 'copy' }, button, status);
}

/**
 * Runs action() for a form or button, disabling it meanwhile; on failure shows the API's message in errBox and
 * keeps every input as it was (nothing is reset unless the action succeeded and asks for it).
 */
export async function run(control, errBox, action) {
  control.setAttribute('aria-busy', 'true');
  const buttons = control.matches('button') ? [control] : [...control.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  errBox.hidden = true;
  try {
    return await action();
  } catch (err) {
    errBox.textContent = err?.message ?? String(err);
    errBox.hidden = false;
    return undefined;
  } finally {
    control.removeAttribute('aria-busy');
    for (const b of buttons) b.disabled = false;
  }
}

/**
 * A form that runs `action()` on submit through run(): its own error box shows the API's message and every field
 * keeps what was typed. `children` go before the submit button, `after` after the error box. `confirm()` (optional)
 * must resolve true first.
 */
export function actionForm({ submit, danger = false, cls, confirm, after = [] }, children, action) {
  const err = errorBox();
  const button = h('button', { type: 'submit', class: danger ? 'danger' : undefined }, submit);
  const form = h('form', { class: cls }, ...children, button, err, ...after);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (confirm && !(await confirm())) return;
    await run(form, err, action);
  });
  return form;
}

/** A one-time secret (a new token, a webhook secret): shown once, read-only, with a copy button. */
export function secretBox(label, value, extra) {
  return h(
    'div',
    { class: 'secret', role: 'group', 'aria-label': label },
    h('p', {}, h('strong', {}, label), ' — shown only once: copy it now.'),
    h(
      'div',
      { class: 'row' },
      h('input', { type: 'text', readonly: true, value, 'aria-label': label, class: 'mono' }),
      copyButton('Copy', value),
    ),
    extra,
  );
}
