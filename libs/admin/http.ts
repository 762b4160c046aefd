// The node's HTTP face: Prometheus /metrics, /healthz (process alive),
// /readyz (listening and backends usable), and the admin commands behind
// bearer tokens, either on the same server or on a server of their own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { RateLimitedLog } from '#libs/rejections';
import type { AdminRegistry } from './commands.ts';
import type { AdminIdentity, AdminTokens } from './tokens.ts';

/** Everything /admin needs: the commands, who may run them, where audit lines go. */
export interface AdminApi {
  commands: AdminRegistry;
  tokens: AdminTokens;
  /** audit lines (one per mutating call) and refused-request lines (rate-limited) */
  logger: Logger;
  metrics: AdminMetrics;
}

export interface HttpServerDeps {
  registry: Registry;
  /** undefined = ready; a string says why not */
  notReadyReason(): string | undefined;
  /** serve /admin here too; absent when admin has its own server (createAdminServer) */
  admin?: AdminApi;
}

export interface AdminMetrics {
  calls: Counter<'command' | 'status'>;
  refused: Counter<'reason'>;
}

export function createAdminMetrics(registry: Registry): AdminMetrics {
  return {
    calls: new Counter({ name: 'sbc_admin_calls_total', help: 'Admin commands run, by command and HTTP status', labelNames: ['command', 'status'], registers: [registry] }),
    refused: new Counter({ name: 'sbc_admin_refused_total', help: 'Admin requests refused before any command ran: unauthorized (no or wrong token), forbidden (read token, mutating command), method (GET of a mutating command)', labelNames: ['reason'], registers: [registry] }),
  };
}

const MAX_BODY = 64 * 1024;
/** audit lines carry parameters, each cut to this many characters (a permissions document can be 64 KiB) */
const AUDIT_VALUE_CHARS = 200;

export function createHttpServer(deps: HttpServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
}

/** A server that answers only /admin (admin.port): the metrics port can then be open to Prometheus alone. */
export function createAdminServer(api: AdminApi): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const work = isAdminPath(path) ? handleAdmin(api, req, res, path) : Promise.resolve(send(res, 404, { error: 'not found: this port serves /admin only' }));
    work.catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
}

async function handle(deps: HttpServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/metrics') {
    const text = await deps.registry.metrics();
    res.writeHead(200, { 'content-type': deps.registry.contentType });
    res.end(text);
    return;
  }
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/readyz') {
    const why = deps.notReadyReason();
    return why === undefined ? send(res, 200, { status: 'ready' }) : send(res, 503, { status: 'not ready', reason: why });
  }
  if (deps.admin !== undefined && isAdminPath(path)) return handleAdmin(deps.admin, req, res, path);
  send(res, 404, { error: `not found: try /metrics, /healthz, /readyz${deps.admin ? ', /admin' : ''}` });
}

const isAdminPath = (path: string): boolean => path === '/admin' || path.startsWith('/admin/');

/** one rate-limited log per admin API: a scanner hammering the port writes a few lines a second, not one per request */
const refusedLogs = new WeakMap<AdminApi, RateLimitedLog>();

function logRefused(api: AdminApi, req: IncomingMessage, reason: string, command?: string): void {
  let log = refusedLogs.get(api);
  if (log === undefined) refusedLogs.set(api, (log = new RateLimitedLog(api.logger)));
  const path = (req.url ?? '').split('?')[0];
  log.write('warn', `admin_${reason}`, { reason, remote: req.socket.remoteAddress, method: req.method, path: path.length > 100 ? `${path.slice(0, 100)}...` : path, ...(command ? { command } : {}) }, 'admin request refused');
}

async function handleAdmin(api: AdminApi, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  // who first: without a valid token nothing else is revealed, not even whether a command exists
  const who = api.tokens.authenticate(req.headers.authorization);
  if (who === undefined) {
    api.metrics.refused.inc({ reason: 'unauthorized' });
    logRefused(api, req, 'unauthorized');
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="sbc-admin"' });
    res.end('{"error":"unauthorized"}');
    return;
  }
  if (path === '/admin') {
    if (req.method !== 'GET') return sendMethod(res, 'GET');
    return send(res, 200, { commands: api.commands.list() });
  }
  let name: string;
  try { name = decodeURIComponent(path.slice('/admin/'.length)); } catch { return send(res, 400, { error: 'command name is not valid percent-encoding' }); }
  const cmd = api.commands.get(name);
  if (cmd === undefined) return send(res, 404, { error: `unknown command "${name}"; GET /admin lists them` });
  if (req.method !== 'GET' && req.method !== 'POST') return sendMethod(res, cmd.mutates ? 'POST' : 'GET, POST');
  if (cmd.mutates && req.method !== 'POST') {
    api.metrics.refused.inc({ reason: 'method' });
    logRefused(api, req, 'method', name);
    return sendMethod(res, 'POST', `"${name}" changes state: use POST`);
  }
  if (cmd.mutates && who.role !== 'admin') {
    api.metrics.refused.inc({ reason: 'forbidden' });
    logRefused(api, req, `forbidden`, name);
    return send(res, 403, { error: `"${name}" changes state: needs an admin token` });
  }
  const params = req.method === 'POST' ? await readParams(req) : queryParams(req.url ?? '');
  if (typeof params === 'string') return send(res, params === TOO_BIG ? 413 : 400, { error: params });
  const result = await api.commands.run(name, params);
  const status = result.ok ? 200 : result.status;
  api.metrics.calls.inc({ command: name, status: String(status) });
  if (cmd.mutates) audit(api, who, name, params, status, cmd.secretParams ?? []);
  return result.ok ? send(res, 200, { result: result.result }) : send(res, result.status, { error: result.error });
}

function audit(api: AdminApi, who: AdminIdentity, command: string, params: Record<string, unknown>, status: number, secret: readonly string[]): void {
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (secret.includes(k)) { shown[k] = '(secret)'; continue; }
    const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
    shown[k] = text.length > AUDIT_VALUE_CHARS ? `${text.slice(0, AUDIT_VALUE_CHARS)}... (${text.length} chars)` : text;
  }
  api.logger.info({ audit: 'admin', who: who.name, role: who.role, command, params: shown, status }, 'admin command');
}

const TOO_BIG = `body over ${MAX_BODY} bytes`;

/** POST body as a JSON object of parameters, or a problem. */
async function readParams(req: IncomingMessage): Promise<Record<string, unknown> | string> {
  const body = await readBody(req);
  if (body === undefined) return TOO_BIG;
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'body must be a JSON object of parameters';
    return parsed as Record<string, unknown>;
  } catch {
    return 'body is not valid JSON';
  }
}

/** GET /admin/pike.top?n=5: each value read as JSON when it is JSON (numbers, true), else as text. */
function queryParams(url: string): Record<string, unknown> {
  const q = url.indexOf('?');
  const params: Record<string, unknown> = {};
  if (q < 0) return params;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
    try { params[k] = JSON.parse(v); } catch { params[k] = v; }
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { resolve(undefined); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendMethod(res: ServerResponse, allow: string, error = `method not allowed: ${allow}`): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(405, { 'content-type': 'application/json', allow });
  res.end(JSON.stringify({ error }));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
