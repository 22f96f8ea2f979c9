// Tiny DOM helpers. Text always goes in as text (never innerHTML), so API data cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    // defaultValue too, so form.reset() returns to it (and a textarea shows it).
    else if (key === 'value' && 'value' in el) {
      if ('defaultValue' in el) el.defaultValue = value;
      el.value = value;
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h('p', {class: 'x'}, 'text', h('b', {}, 'bold')) */
export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

export function svg(tag, attrs, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

let seq = 0;
/** A unique id for label/for and aria links. */
export function uid(prefix = 'f') {
  seq += 1;
  return `${prefix}-${seq}`;
}

/** A labelled input: returns {wrap, input}. */
export function field(label, attrs = {}, hint) {
  const id = uid();
  const input = h(attrs.tag ?? 'input', { ...attrs, tag: undefined, id });
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { id: hintId }, hint) : null,
  );
  return { wrap, input };
}

/** A select with options [[value, label]…]. */
export function select(label, options, attrs = {}) {
  const id = uid();
  const input = h(
    'select',
    { ...attrs, id },
    options.map(([value, text]) => h('option', { value }, text)),
  );
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), input), input };
}

/** A section with a heading, labelled by it. */
export function section(title, ...children) {
  const id = uid('s');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** The place a form shows its failure (the API's `message`), announced to screen readers. */
export function errorBox() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

export function showError(box, err) {
  box.textContent = err ? String(err.message ?? err) : '';
  box.hidden = !err;
}
