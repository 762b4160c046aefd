// A redis-server child process with extra arguments (password, TLS), for
// tests that need a server of their own. Killed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../../test/harness/index.ts';

export interface PrivateRedis {
  port: number;
  stop(): Promise<void>;
}

export async function startPrivateRedis(args: (port: number) => string[]): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args(port)], { stdio: 'ignore' });
  child.on('error', () => undefined);
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI; undefined when openssl is missing. */
export function selfSignedCert(): { dir: string; cert: string; key: string; pem: Buffer; cleanup(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-state-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) { cleanup(); return undefined; }
  return { dir, cert, key, pem: readFileSync(cert), cleanup };
}
