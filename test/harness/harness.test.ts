import { describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { uniqueName } from './index.ts';

describe('test harness', () => {
  it('provides a Redis that answers', async () => {
    const r = new Redis(inject('redisUrl'));
    const key = `${uniqueName('harness')}:k`;
    await r.set(key, 'v', 'PX', 1000);
    expect(await r.get(key)).toBe('v');
    r.disconnect();
  });
  it('provides a NATS with JetStream', async () => {
    const nc = await connect({ servers: inject('natsUrl') });
    const info = nc.info;
    expect(info?.jetstream).toBe(true);
    await nc.close();
  });
});
