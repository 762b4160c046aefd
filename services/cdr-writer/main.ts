// `npm run cdr-writer [-- --config FILE] [--set cdr_writer.key=value]`: the
// accounting writer (bundled into dist/cdr-writer.mjs by scripts/build.mjs).
// Wiring only: loads its config sections (cdr_writer and admin: YAML +
// SBC_CDR_WRITER_* / SBC_ADMIN_* variables), starts libs/acc's writer and an
// HTTP face (/metrics, /healthz, /readyz, /admin: acc.stats, acc.replay_dead behind the admin
// tokens), stops on SIGTERM/SIGINT. Run one or more per cluster; each batch
// is written in its own transaction, exactly once.
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { cdrWriterSection, startCdrWriter } from '#libs/acc';
import { AdminRegistry, AdminTokens, adminSection, createAdminMetrics, createHttpServer } from '#libs/admin';
import { formatConfigErrors, loadConfig } from '#libs/config';
import { topologyOf } from '#libs/state';

async function main(): Promise<void> {
  const res = loadConfig({ sections: [cdrWriterSection, adminSection] as const, env: process.env, argv: process.argv.slice(2) });
  if (!res.ok) {
    process.stderr.write(`${formatConfigErrors(res.errors)}\n`);
    process.exit(2);
  }
  const c = res.config.cdr_writer;
  const logger = pino({ level: c.log_level, base: { service: 'cdr-writer' } });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sbc_', eventLoopMonitoringPrecision: 1000 });
  const writer = await startCdrWriter({
    databaseUrl: c.database_url,
    redisUrl: c.redis_url,
    redisTopology: topologyOf({ mode: c.redis_mode, url: c.redis_url, nodes: c.redis_nodes, sentinelName: c.sentinel_name, ...(c.sentinel_password !== undefined ? { sentinelPassword: c.sentinel_password } : {}) }),
    ...(c.redis_password !== undefined ? { redisPassword: c.redis_password } : {}),
    cluster: c.cluster,
    keyPrefix: c.key_prefix,
    queue: c.queue,
    concurrency: c.concurrency,
    expiry: { setupExpireMs: c.setup_expire, dialogExpireMs: c.dialog_expire },
    sweepMs: c.sweep_interval,
    lockMs: c.job_lock,
    registry,
    logger,
  });
  const commands = new AdminRegistry();
  for (const cmd of writer.admin) commands.register(cmd);
  // the admin API is closed unless admin.tokens_file names bearer tokens (the node's rules, docs/admin.md)
  const tokens = new AdminTokens({
    ...(res.config.admin.tokens_file !== undefined ? { file: res.config.admin.tokens_file } : {}),
    onReloadError: (err) => logger.error({ problem: err.message }, 'admin tokens file unreadable: the previous tokens stay'),
  });
  const admin = { commands, tokens, logger, metrics: createAdminMetrics(registry) };
  const http = createHttpServer({ registry, admin, notReadyReason: () => writer.notReadyReason() });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(c.http_port, c.http_host, () => resolve());
  });
  logger.info({ http: `${c.http_host}:${(http.address() as AddressInfo).port}` }, 'cdr-writer listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'cdr-writer stopping');
    http.closeAllConnections();
    http.close();
    writer.close().then(() => process.exit(0), (err: unknown) => { logger.error({ err }, 'stop failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`cdr-writer: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
