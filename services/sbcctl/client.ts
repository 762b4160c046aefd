// The admin API seen from sbcctl: GET /admin for the command list, POST
// /admin/<name> to run one. Failures come back as an exit code and a message.
export interface CommandInfo {
  name: string;
  help: string;
  mutates: boolean;
  params: Record<string, string>;
}

/** sbcctl's exit codes (docs/admin.md) */
export const EXIT = { ok: 0, commandFailed: 1, usage: 2, unreachable: 3, unauthorized: 4 } as const;

export class CtlError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface Endpoint {
  url: string;
  token: string | undefined;
  timeoutMs: number;
}

async function call(ep: Endpoint, path: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${ep.url.replace(/\/+$/, '')}${path}`, {
      ...init,
      headers: { ...(ep.token !== undefined ? { authorization: `Bearer ${ep.token}` } : {}), 'content-type': 'application/json' },
      signal: AbortSignal.timeout(ep.timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new CtlError(`cannot reach ${ep.url}: ${why}`, EXIT.unreachable);
  }
  const text = await res.text();
  let body: { result?: unknown; error?: string; commands?: unknown } = {};
  try { body = JSON.parse(text) as typeof body; } catch { /* not JSON: reported below */ }
  if (res.status === 401) throw new CtlError(`unauthorized: ${ep.token === undefined ? 'no token given (--token, --token-file, SBCCTL_TOKEN)' : 'the token was refused'}`, EXIT.unauthorized);
  if (res.status === 403) throw new CtlError(`forbidden: ${body.error ?? 'this token may not run that command'}`, EXIT.unauthorized);
  if (!res.ok) throw new CtlError(`${res.status}: ${body.error ?? text.slice(0, 200)}`, res.status === 404 ? EXIT.usage : EXIT.commandFailed);
  return body;
}

export async function listCommands(ep: Endpoint): Promise<CommandInfo[]> {
  return ((await call(ep, '/admin', { method: 'GET' })) as { commands: CommandInfo[] }).commands;
}

export async function runCommand(ep: Endpoint, name: string, params: Record<string, unknown>): Promise<unknown> {
  return ((await call(ep, `/admin/${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(params) })) as { result: unknown }).result;
}
