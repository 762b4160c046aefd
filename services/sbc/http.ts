// The node's HTTP listeners: metrics and probes on http.port; the admin API
// on the same port or on admin.port, behind the tokens of admin.tokens_file.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AdminTokens, createAdminMetrics, createAdminServer, createHttpServer, createTokensFileIfMissing, type AdminApi, type AdminRegistry } from '#libs/admin';
import type { SbcConfig } from './config.ts';

export interface HttpListeners {
  readonly httpPort: number;
  /** the port /admin answers on (httpPort unless admin.port is set) */
  readonly adminPort: number;
  close(): Promise<void>;
}

export async function startHttp(deps: {
  config: SbcConfig;
  registry: Registry;
  commands: AdminRegistry;
  logger: Logger;
  notReadyReason(): string | undefined;
}): Promise<HttpListeners> {
  const { config, logger } = deps;
  const api: AdminApi = { commands: deps.commands, tokens: adminTokens(config, logger), logger, metrics: createAdminMetrics(deps.registry) };
  const separate = config.admin.port !== undefined;
  const servers: Server[] = [];
  try {
    const http = await listen(createHttpServer({ registry: deps.registry, notReadyReason: deps.notReadyReason, ...(separate ? {} : { admin: api }) }), config.http.port, config.http.host, servers);
    const admin = separate ? await listen(createAdminServer(api), config.admin.port!, config.admin.host, servers) : http;
    return { httpPort: http, adminPort: admin, close: () => closeAll(servers) };
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
}

function adminTokens(config: SbcConfig, logger: Logger): AdminTokens {
  const file = config.admin.tokens_file;
  if (file !== undefined && config.admin.create_tokens_file && createTokensFileIfMissing(file)) {
    logger.warn({ file }, 'admin tokens file created with one random admin token (admin.create_tokens_file, for development): sbcctl --token-file reads it');
  }
  const tokens = new AdminTokens({
    ...(file !== undefined ? { file } : {}),
    onReload: (count) => logger.info({ file, tokens: count }, 'admin tokens file re-read'),
    onReloadError: (err) => logger.error({ file, problem: err.message }, 'admin tokens file unreadable: the previous tokens stay'),
  });
  if (!tokens.configured) logger.warn('admin API closed: no admin.tokens_file, every /admin call is answered 401');
  return tokens;
}

async function listen(server: Server, port: number, host: string, opened: Server[]): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  opened.push(server);
  return (server.address() as AddressInfo).port;
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }))).then(() => undefined);
}
