/**
 * The baseline of bench/http.ts: bare Fastify in a process of its own (default options, no logger), one route that
 * returns the same JSON object as the gateway's /v2/session/me, serialised per request as a plain Fastify app does.
 * Port and body come from the environment (BARE_PORT, BARE_BODY); SIGTERM closes it.
 */
import Fastify from 'fastify';

const body: unknown = JSON.parse(process.env.BARE_BODY ?? '{}');
const app = Fastify({ logger: false });
app.get('/me', async () => body);
await app.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
