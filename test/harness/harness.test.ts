import { describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createTestDatabase, endPool, uniqueName } from './index.ts';

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
  it('provides a PostgreSQL (DATABASE_URL or a private cluster, never the machine\'s 5432 by chance)', async () => {
    const url = inject('pgUrl');
    if (process.env.DATABASE_URL === undefined) expect(new URL(url).port).not.toBe('5432');
    const db = await createTestDatabase(url, 'harness');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    expect((await c.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    await c.end();
    await db.drop();
  });
  it('endPool returns once every connection of the pool has closed, so dropping the database ends none of them', async () => {
    const db = await createTestDatabase(inject('pgUrl'), 'endpool');
    const pool = new pg.Pool({ connectionString: db.url, max: 3 });
    let closed = 0;
    pool.on('connect', (client) => client.on('end', () => closed++));
    // three connections at once, all idle afterwards
    await Promise.all([1, 2, 3].map(() => pool.query('SELECT pg_sleep(0.05)')));
    expect(pool.totalCount).toBe(3);
    // (pool.end() alone resolves before any connection has seen its socket close)
    await endPool(pool);
    expect(closed).toBe(3);
    await db.drop();
  });
});
