// The node's HTTP face: Prometheus /metrics, /healthz (process alive),
// /readyz (listening and backends usable), and the admin commands.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { AdminRegistry } from './commands.ts';

export interface HttpServerDeps {
  registry: Registry;
  admin: AdminRegistry;
  /** undefined = ready; a string says why not */
  notReadyReason(): string | undefined;
}

const MAX_BODY = 64 * 1024;

export function createHttpServer(deps: HttpServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
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
  if (req.method === 'GET' && path === '/admin') return send(res, 200, { commands: deps.admin.list() });
  if (path.startsWith('/admin/') && (req.method === 'POST' || req.method === 'GET')) {
    const name = decodeURIComponent(path.slice('/admin/'.length));
    let params: Record<string, unknown> = {};
    if (req.method === 'POST') {
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, { error: `body over ${MAX_BODY} bytes` });
      if (body.length > 0) {
        try {
          const parsed: unknown = JSON.parse(body);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return send(res, 400, { error: 'body must be a JSON object of parameters' });
          params = parsed as Record<string, unknown>;
        } catch {
          return send(res, 400, { error: 'body is not valid JSON' });
        }
      }
    }
    const result = await deps.admin.run(name, params);
    return result.ok ? send(res, 200, { result: result.result }) : send(res, result.status, { error: result.error });
  }
  send(res, 404, { error: 'not found: try /metrics, /healthz, /readyz, /admin' });
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

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
