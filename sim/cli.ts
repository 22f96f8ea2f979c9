/**
 * `npx switchboard-sim --port 7780 [--host 127.0.0.1] [--data-dir DIR] [--root-seed x] [--log-level info]`
 * Runs the simulator standalone with its HTTP control surface on the same port. With --data-dir its state lives in
 * DIR/sandbox.db and survives restarts (and kill -9); without it, everything is in memory.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7780' },
    host: { type: 'string', default: '127.0.0.1' },
    'root-seed': { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'info' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: switchboard-sim [--port 7780] [--host 127.0.0.1] [--data-dir DIR] [--root-seed <seed>] [--log-level info]\n' +
      'HTTP control: POST /scan, POST /enter-code, POST /phones/:phone/unlink, POST /phones/:phone/disconnect, PATCH /phones/:phone,\n' +
      '  POST|GET /phones/:phone/messages, GET /phones, GET|PATCH|POST|DELETE /faults\n',
  );
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid --port ${values.port}\n`);
  process.exit(2);
}

const logger = pino({ level: values['log-level'] }, pino.destination(2));
const sim = await startSimulator({
  port,
  host: values.host,
  rootSeed: values['root-seed'],
  dataDir: values['data-dir'],
  logger,
  controlApi: true,
});
const controlBase = sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '');
process.stdout.write(
  `switchboard-sim listening\n  url:        ${sim.url}\n  root key:   ${sim.rootPublicKey.toString('hex')}\n  control:    ${controlBase}\n  state:      ${values['data-dir'] ?? 'in memory'}\n`,
);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  sim.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
