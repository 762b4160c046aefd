// Cluster-wide change of the permissions tables through ClusterConfig, on the
// memory backends, wired as the node wires it.
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminRegistry } from '#libs/admin';
import { createMemoryBus, MemoryHub } from '#libs/bus';
import type { RequestContext } from '#libs/proxy';
import { ClusterConfig } from '#libs/replica';
import { createMemoryData, createMemoryState } from '#libs/state';
import { waitUntil } from '../../test/harness/index.ts';
import { applyPermissionsDoc, createPermissions, PERMISSIONS_CONFIG_KIND, permissionsApplyCommand } from './index.ts';
import { permissionsConfig, sipRequest, udp } from './test-support.ts';

const logger = pino({ level: 'silent' });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const START = `
groups: { international: [alice@example.com] }
policies:
  - { name: international, ruri_pattern: '^sip:00[1-9]', require_group: international, reason: No permission for international calls }
`;

async function node(world: { data: ReturnType<typeof createMemoryData>; hub: MemoryHub }, id: string) {
  const registry = new Registry();
  const state = createMemoryState({ data: world.data, cluster: 'perm' });
  const bus = createMemoryBus({ cluster: 'perm', node: id, hub: world.hub, logger, registry });
  const cluster = await ClusterConfig.start({ state, bus, logger, registry, resyncIntervalMs: 0 });
  closers.push(async () => { await cluster.close(); await bus.close(); await state.close(); });
  const perms = createPermissions({ config: permissionsConfig(START), registry, logger });
  const current = cluster.get(PERMISSIONS_CONFIG_KIND);
  if (current !== undefined) applyPermissionsDoc(perms, current.doc);
  cluster.onChange((kind, doc) => { if (kind === PERMISSIONS_CONFIG_KIND) applyPermissionsDoc(perms, doc); });
  const admin = new AdminRegistry();
  for (const c of perms.admin) admin.register(c);
  admin.register(permissionsApplyCommand(perms, (doc) => cluster.apply(PERMISSIONS_CONFIG_KIND, doc)));
  return { perms, admin };
}

function invite(from: string, ruri: string): RequestContext {
  return { msg: sipRequest({ method: 'INVITE', ruri, from }), source: udp('198.51.100.7'), inDialog: false } as unknown as RequestContext;
}

describe('permissions.apply across the cluster', () => {
  it('a document applied on one node changes every node, and a node started later', async () => {
    const world = { data: createMemoryData(), hub: new MemoryHub() };
    const a = await node(world, 'a');
    const b = await node(world, 'b');
    const premium = () => invite('sip:alice@example.com', 'sip:9001234@sbc.example.com');
    expect(b.perms.step.run(premium())).toBe('next');

    const doc = `${START}\nrouting:\n  deny: ['ALL : "^sip:900"']\n`;
    const res = await a.admin.run('permissions.apply', { doc });
    expect(res).toMatchObject({ ok: true, result: { version: 1, routing: { allow: 0, deny: 1 } } });
    await waitUntil(() => b.perms.step.run(premium()) !== 'next');
    expect(b.perms.step.run(premium())).toMatchObject({ reject: 'permissions.routing' });
    expect(a.perms.step.run(premium())).toMatchObject({ reject: 'permissions.routing' });

    const c = await node(world, 'c');
    expect(c.perms.step.run(premium())).toMatchObject({ reject: 'permissions.routing' });
    // the policies of the start config survive in the document
    expect(c.perms.step.run(invite('sip:dave@example.com', 'sip:0044207123@sbc.example.com'))).toMatchObject({ reject: 'permissions.policy.international' });
  });

  it('a bad document is refused before it reaches the cluster', async () => {
    const world = { data: createMemoryData(), hub: new MemoryHub() };
    const a = await node(world, 'a');
    const res = await a.admin.run('permissions.apply', { doc: 'routing:\n  deny: ["ALL : ALL EXCEPT"]\n' });
    expect(res).toMatchObject({ ok: false, status: 422 });
    expect(!res.ok && res.error).toContain('<permissions document>:2');
    expect(await a.admin.run('permissions.apply', { doc: 'policies: [{ name: x, ruri_pattern: y, require_group: g, reason: New text }]\ngroups: { g: [a] }' })).toMatchObject({ ok: false, status: 422 });
  });
});
