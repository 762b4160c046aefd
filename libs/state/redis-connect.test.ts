// Connection options pass through to ioredis: a password-protected server and
// a TLS (rediss://) server, each a private redis-server started here.
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/harness/index.ts';
import { StateError } from './errors.ts';
import { createRedisState } from './redis/index.ts';
import { selfSignedCert, startPrivateRedis, type PrivateRedis } from './testing/private-redis.ts';

describe('redis backend connection options', () => {
  const servers: PrivateRedis[] = [];
  const cleanups: (() => void)[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    cleanups.forEach((c) => c());
  });

  it('works with a password-protected Redis and refuses a wrong password at once', async () => {
    const srv = await startPrivateRedis((port) => ['--port', String(port), '--requirepass', 's3cret']);
    servers.push(srv);
    const state = await createRedisState({ url: `redis://:s3cret@127.0.0.1:${srv.port}`, cluster: uniqueName('auth') });
    await state.tables.set('t', 'k', 'v');
    expect((await state.tables.get('t', 'k'))?.value).toBe('v');
    await state.close();

    const viaOptions = await createRedisState({ redis: { host: '127.0.0.1', port: srv.port, password: 's3cret' }, cluster: uniqueName('auth') });
    expect(await viaOptions.callLoad.start('gw', 'c', 5000)).toBe(1);
    await viaOptions.close();

    const err = await createRedisState({ url: `redis://:wrong@127.0.0.1:${srv.port}`, cluster: uniqueName('auth'), connectTimeoutMs: 10_000 })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('STATE_UNAVAILABLE');
    expect((err as Error).message).toMatch(/authentication/);
    expect((err as Error).message).not.toContain('wrong@');
  });

  it('works over TLS with a rediss:// URL and a CA passed through', async () => {
    const tls = selfSignedCert();
    expect(tls, 'openssl is needed to make a test certificate').toBeDefined();
    cleanups.push(tls!.cleanup);
    const srv = await startPrivateRedis((port) => ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls!.cert,
      '--tls-key-file', tls!.key, '--tls-ca-cert-file', tls!.cert, '--tls-auth-clients', 'no']);
    servers.push(srv);
    const state = await createRedisState({ url: `rediss://127.0.0.1:${srv.port}`, redis: { tls: { ca: tls!.pem } }, cluster: uniqueName('tls') });
    await state.config.put('acl', 'doc', 1);
    expect(await state.config.get('acl')).toEqual({ kind: 'acl', doc: 'doc', version: 1 });
    await state.close();
  });
});
