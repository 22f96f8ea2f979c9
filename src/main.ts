import { hostname } from 'node:os';
import { ConfigError, loadConfig, secretsInFlags } from './config.ts';
import { createLogger } from './http/index.ts';
import { loadMasterKey, looseDataModes } from './store/index.ts';
import { createGateway } from './gateway/index.ts';
import { openStore } from './store/index.ts';
import { bootstrapAdminToken, writeAdminTokenFile } from './tenancy/index.ts';

/**
 * `switchboard serve`: config → master key → store → admin token → HTTP. Startup problems are one line on stderr
 * and exit code 1 (no stack trace: they are the operator's to fix, not ours to debug).
 */

function fail(err: unknown): never {
  const message = err instanceof ConfigError ? err.message : `switchboard: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`${message.split('\n')[0]}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  for (const { flag, variable } of secretsInFlags(process.argv.slice(2))) {
    logger.warn(
      { flag },
      `a secret was given as the command-line flag ${flag}: every local user can read it (ps, /proc); set ${variable} instead`,
    );
  }
  // Fail now on a bad or unreadable key rather than at the first session start.
  const masterKey = loadMasterKey({ dataDir: config.dataDir, envValue: config.masterKey });

  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger });
  for (const loose of looseDataModes(config.dataDir)) {
    logger.warn(
      loose,
      `${loose.path} is readable or writable by others (mode ${loose.mode}); it should be ${loose.wanted}: chmod ${loose.wanted} ${loose.path}`,
    );
  }
  const { generated } = await bootstrapAdminToken(store, config.adminToken);
  if (generated) {
    const file = writeAdminTokenFile(config.dataDir, generated);
    logger.warn(
      { file },
      'first start: admin token generated and written to this file (mode 0600); keep it somewhere safe, then delete the file',
    );
    // On a terminal a human reads it now; never into a pipe, where log collectors would keep it.
    if (process.stdout.isTTY) process.stdout.write(`\nAdmin token (shown only this once; keep it): ${generated}\n\n`);
  }

  const cluster = config.databaseUrl
    ? { url: config.databaseUrl, nodeId: config.nodeId ?? `${hostname()}:${config.port}`, address: config.nodeAddress }
    : undefined;
  const gateway = await createGateway({ config, store, masterKey, logger, cluster });
  const { app, sessions } = gateway;
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await gateway.close();
    await store.close().catch(() => undefined);
    throw err;
  }
  // Resume the sessions that were running before the last exit (in the background: /health answers meanwhile).
  void sessions.manager.restoreAll().catch((err) => logger.error({ err }, 'boot restore failed'));
  logger.info(
    { url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}` },
    'switchboard listening',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await app.close().catch((err) => logger.error({ err }, 'closing HTTP failed'));
    // Ends connections without recording STOPPED, so the next start restores them.
    await sessions.close();
    await store.close().catch((err) => logger.error({ err }, 'closing store failed'));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch(fail);
