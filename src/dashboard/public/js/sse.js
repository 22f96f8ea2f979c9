// Server-Sent Events over fetch(): EventSource cannot send headers, and the token must not go into a URL.
// Parsing follows the HTML spec's event-stream rules (fields, comments, multi-line data, CR/LF/CRLF).

/** Returns push(text) that calls onMessage({event, data, id}) for every complete message. */
export function sseParser(onMessage) {
  let buffer = '';
  let data = [];
  let event = '';
  let id = null;
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), id });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const name = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') data.push(value);
    else if (name === 'event') event = value;
    else if (name === 'id' && !value.includes('\0')) id = value;
  };
  return (chunk) => {
    buffer += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer);
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (!m || (m[0] === '\r' && m.index === buffer.length - 1)) break;
      line(buffer.slice(0, m.index));
      buffer = buffer.slice(m.index + m[0].length);
    }
  };
}

/** A stream error event or an HTTP answer that means "this token no longer works". */
export function isRevocation(status, body) {
  return status === 401 || body?.status === 401 || body?.code === 'invalid_access_token';
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Reads `url` as an event stream with the given headers. Calls onOpen() once the stream is answered, onEnvelope(envelope, seq) per event, then exactly one
 * of onRevoked(body) (a 401 answer or an `event: error` with status 401) or onEnd(reason, answer?) (the stream ended
 * or failed otherwise; `answer` = {status, body} when the server refused the stream). close() stops without calling either.
 */
export function openEventStream({
  url,
  headers,
  lastEventId,
  onOpen,
  onEnvelope,
  onRevoked,
  onEnd,
  fetchImpl = fetch,
}) {
  const controller = new AbortController();
  let finished = false;
  const finish = (fn, arg) => {
    if (finished) return;
    finished = true;
    controller.abort();
    fn(arg);
  };
  let lastId = lastEventId ?? null;
  const run = async () => {
    const h = { accept: 'text/event-stream', ...headers };
    if (lastId !== null) h['last-event-id'] = String(lastId);
    const res = await fetchImpl(url, { headers: h, signal: controller.signal, cache: 'no-store' });
    if (!res.ok) {
      const body = parseJson(await res.text());
      if (isRevocation(res.status, body)) finish(onRevoked, body);
      else finish(() => onEnd(body?.message ?? `HTTP ${res.status}`, { status: res.status, body }));
      return;
    }
    onOpen?.();
    const push = sseParser((msg) => {
      if (msg.id !== null) lastId = msg.id;
      const body = parseJson(msg.data);
      if (msg.event === 'error') {
        if (isRevocation(0, body)) finish(onRevoked, body);
        else finish(onEnd, body?.message ?? 'stream error');
      } else if (msg.event === 'message' && body) {
        onEnvelope(body, msg.id);
      }
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      push(value);
      if (finished) return;
    }
    finish(onEnd, 'closed');
  };
  run().catch((err) => {
    if (!finished && err?.name !== 'AbortError') finish(onEnd, String(err?.message ?? err));
  });
  return {
    close() {
      finished = true;
      controller.abort();
    },
    get lastEventId() {
      return lastId;
    },
  };
}
