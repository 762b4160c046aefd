// A node whose Redis refuses its password (wrong, or none given; a rotated
// Secret) through a running node process: at start it exits with a line naming
// WRONGPASS/NOAUTH and never the password (a config fault, as a node that cannot
// reach Redis at start, docs/state.md); when the password stops working under
// a running node it turns not ready with the reason, logs it once, shows
// sbc_backend_up{backend="redis"} 0, and recovers when Redis accepts it again.
// Before, /readyz said only "state backend down" and no log line named the cause.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../libs/state/testing/private-redis.ts';
import { waitUntil } from '../harness/index.ts';
import { startSbcNode } from '../sipp/index.ts';

let redis: PrivateRedis;
const PASSWORD = 'node-s3cret-1234';

beforeAll(async () => {
  redis = await startPrivateRedis((port) => ['--port', String(port), '--requirepass', PASSWORD]);
}, 60_000);

afterAll(async () => {
  await redis?.stop();
});

const stateWith = (password?: string) => ({ state: { backend: 'redis', redis: { url: `redis://127.0.0.1:${redis.port}`, ...(password !== undefined ? { password } : {}) } } });

async function readyz(httpPort: number): Promise<{ status: number; reason?: string }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
  return { status: res.status, reason: ((await res.json()) as { reason?: string }).reason };
}

describe('sbc node with a Redis that refuses its password', () => {
  it('exits at start naming WRONGPASS or NOAUTH, never the password', async () => {
    for (const [password, code] of [['wrong-node-pw-77', 'WRONGPASS'], [undefined, 'NOAUTH']] as const) {
      const err = await startSbcNode({ gateways: [], readiness: 'bound', config: stateWith(password) }).then(async (n) => { await n.stop(); return undefined; }, (e: unknown) => e as Error);
      expect(err?.message).toMatch(/exited/);
      expect(err?.message).toMatch(new RegExp(`refused authentication.*${code}`));
      expect(err?.message).not.toContain('wrong-node-pw-77');
    }
  }, 60_000);

  it('turns not ready with the reason and logs it when the password stops working, and recovers', async () => {
    const node = await startSbcNode({ gateways: [], readiness: 'bound', config: stateWith(PASSWORD) });
    const op = new Redis({ port: redis.port, password: PASSWORD, lazyConnect: true });
    await op.connect();
    try {
      expect((await readyz(node.httpPort)).status).toBe(200);
      await op.config('SET', 'requirepass', 'rotated-node-pw-99');
      await op.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      // first the cut connection, then the refused login: wait for the reason to name it
      await waitUntil(async () => /WRONGPASS/.test((await readyz(node.httpPort)).reason ?? ''), 20_000, 100);
      expect((await readyz(node.httpPort)).status).toBe(503);
      const metrics = await fetch(`http://127.0.0.1:${node.httpPort}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^sbc_backend_up\{[^}]*backend="redis"[^}]*\} 0$/m);
      await waitUntil(() => /redis refused authentication \(NOAUTH\/WRONGPASS\).*WRONGPASS|WRONGPASS.*redis refused authentication \(NOAUTH\/WRONGPASS\)/.test(node.logTail(20_000)), 10_000, 100);
      expect(node.logTail(20_000)).not.toMatch(new RegExp(`${PASSWORD}|rotated-node-pw-99`));

      await op.config('SET', 'requirepass', PASSWORD);
      await waitUntil(async () => (await readyz(node.httpPort)).status === 200, 20_000, 100);
    } finally {
      await op.config('SET', 'requirepass', PASSWORD).catch(() => undefined);
      op.disconnect();
      await node.stop();
    }
  }, 60_000);
});
