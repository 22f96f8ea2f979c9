import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, test } from 'node:test';
import { WebhookSender } from '../../src/webhooks/webhook-post.ts';
import {
  UnsafeUrlError,
  checkWebhookUrl,
  forbiddenAddressReason,
  urlForLog,
  type Resolver,
} from '../../src/webhooks/url-safety.ts';
import { startReceiver } from './receiver.ts';

/** A resolver that answers every name with these addresses (what a hostile or rebinding DNS would do). */
const resolvesTo = (...addresses: string[]): Resolver =>
  ((_host: string, _opts: unknown, cb: (err: null, list: LookupAddress[]) => void) =>
    cb(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    )) as unknown as Resolver;

const strict = { allowPrivate: false };

describe('forbiddenAddressReason', () => {
  test('refuses loopback, private, link-local, unspecified, multicast and reserved, v4 and v6', () => {
    const refused = {
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'link-local',
      '0.0.0.0': 'unspecified',
      '100.64.0.1': 'shared (CGNAT)',
      '224.0.0.1': 'multicast',
      '255.255.255.255': 'reserved',
      '::1': 'loopback',
      '::': 'unspecified',
      'fe80::1': 'link-local',
      'fc00::1': 'private (unique local)',
      'fd12:3456::1': 'private (unique local)',
      'ff02::1': 'multicast',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '::ffff:a9fe:a9fe': 'link-local',
      '::127.0.0.1': 'loopback',
      '64:ff9b::a00:1': 'private',
      '2002:7f00:1::': 'loopback',
      '2001:db8::1': 'documentation',
    };
    for (const [address, reason] of Object.entries(refused))
      assert.equal(forbiddenAddressReason(address), reason, address);
  });

  test('lets public unicast through, IPv4-mapped included', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '2a00:1450::1',
    ]) {
      assert.equal(forbiddenAddressReason(address), null, address);
    }
  });
});

describe('checkWebhookUrl', () => {
  test('refuses private targets given literally, by name, or after DNS resolution', async () => {
    const refusals: Array<[string, Resolver | undefined, RegExp]> = [
      ['http://127.0.0.1/hook', undefined, /loopback/],
      ['http://10.0.0.7:8080/x', undefined, /private/],
      ['http://169.254.169.254/latest/meta-data', undefined, /link-local/],
      ['http://[::1]/hook', undefined, /loopback/],
      ['http://[::ffff:127.0.0.1]/hook', undefined, /loopback/],
      ['http://0.0.0.0/', undefined, /unspecified/],
      ['http://2130706433/', undefined, /loopback/], // 127.0.0.1 as one number
      ['http://localhost:3000/hook', undefined, /loopback/],
      ['http://api.localhost/hook', undefined, /loopback/],
      [
        'https://hooks.example.test/x',
        resolvesTo('127.0.0.1'),
        /^hooks\.example\.test resolves to a loopback address$/,
      ],
      ['https://hooks.example.test/x', resolvesTo('93.184.216.34', '10.0.0.5'), /private/],
      ['https://hooks.example.test/x', resolvesTo('::ffff:192.168.0.1'), /private/],
    ];
    for (const [url, resolve, reason] of refusals) {
      await assert.rejects(
        checkWebhookUrl(url, { ...strict, resolve }),
        (err: unknown) => err instanceof UnsafeUrlError && reason.test(err.message),
        url,
      );
    }
  });

  test('a refusal names the problem, never the address a name resolves to (tenants must not map the network)', async () => {
    const resolve = resolvesTo('93.184.216.34', '10.12.13.14');
    await assert.rejects(checkWebhookUrl('https://internal.example.test/x', { ...strict, resolve }), (err: unknown) => {
      assert.equal((err as Error).message, 'internal.example.test resolves to a private address');
      return true;
    });
    await assert.rejects(checkWebhookUrl('http://10.0.0.7/x', strict), /^UnsafeUrlError: private address$/);
  });

  test('accepts public targets; refuses other schemes and credentials whatever the mode', async () => {
    assert.equal(
      (await checkWebhookUrl('https://hooks.example.test/x', { ...strict, resolve: resolvesTo('93.184.216.34') })).href,
      'https://hooks.example.test/x',
    );
    assert.ok(await checkWebhookUrl('http://8.8.8.8/x', strict));
    for (const url of [
      'ftp://example.com/x',
      'file:///etc/passwd',
      'https://user:pw@example.com/',
      'not a url',
      `https://e.com/${'a'.repeat(2100)}`,
    ]) {
      await assert.rejects(checkWebhookUrl(url, { allowPrivate: true }), UnsafeUrlError, url);
    }
  });

  test('SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE lifts the address rules', async () => {
    for (const url of ['http://127.0.0.1/x', 'http://localhost/x', 'http://[::1]/x', 'http://10.0.0.1/x']) {
      assert.ok(await checkWebhookUrl(url, { allowPrivate: true }), url);
    }
  });
});

describe('WebhookSender', () => {
  test('refuses at connect time a name that now resolves to loopback (DNS rebinding), and a literal one', async () => {
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    const sender = new WebhookSender({
      timeoutMs: 5000,
      allowPrivate: false,
      userAgent: 't',
      resolve: resolvesTo('127.0.0.1'),
    });
    try {
      const byName = await sender.send(`http://rebind.example.test:${port}/hook`, '{}', {});
      assert.equal(byName.ok, false);
      assert.equal(byName.error, 'refused: rebind.example.test resolves to a loopback address');
      const literal = await sender.send(`http://[::ffff:127.0.0.1]:${port}/hook`, '{}', {});
      assert.equal(literal.error, 'refused: loopback address');
      assert.equal(receiver.received.length, 0, 'nothing reached the receiver');
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test('does not follow redirects and keeps at most 1 KB of the answer', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      res.writeHead(500).end('e'.repeat(100_000));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const sender = new WebhookSender({ timeoutMs: 5000, allowPrivate: true, userAgent: 't' });
    try {
      const redirected = await sender.send(`${base}/redirect`, '{}', {});
      assert.equal(redirected.ok, false);
      assert.equal(redirected.status, 302);
      assert.match(redirected.error ?? '', /redirect not followed \(Location: http:\/\/169\.254\.169\.254\/\)/);
      const big = await sender.send(`${base}/big`, '{}', {});
      assert.equal(big.status, 500);
      assert.ok(Buffer.byteLength(big.error ?? '') < 1100, 'error text bounded');
      assert.ok((big.error ?? '').startsWith('HTTP 500: eee'));
    } finally {
      sender.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('urlForLog', () => {
  test('keeps scheme, host, port and path; drops query string, fragment and credentials', () => {
    assert.equal(
      urlForLog('https://user:pw@hooks.example.test:8443/in/x?token=s3cret&a=1#frag'),
      'https://hooks.example.test:8443/in/x',
    );
    assert.equal(urlForLog('not a url ?token=s3cret'), '(invalid URL)');
  });
});
