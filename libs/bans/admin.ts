import { isIP } from 'node:net';
import { AdminError, type AdminCommand } from '#libs/admin';
import type { ReplicatedTable } from '#libs/replica';
import { BAN_TABLE } from './step.ts';

function tableParam(v: unknown): void {
  if (v !== undefined && v !== BAN_TABLE) throw new AdminError(`unknown htable "${String(v)}": this node has "${BAN_TABLE}"`, 404);
}

/** kamcmd-style commands over the ban table; they act cluster-wide (Redis + NATS). */
export function bansAdminCommands(table: ReplicatedTable): AdminCommand[] {
  return [
    {
      name: 'htable.dump',
      mutates: false,
      help: `Entries of the ${BAN_TABLE} table with their remaining lifetime, as this node sees them.`,
      params: { table: `table name (${BAN_TABLE})` },
      run(p) {
        tableParam(p.table);
        const now = Date.now();
        return table.entries().map((e) => ({ key: e.key, value: e.value, expiresInMs: e.expiresAt === null ? null : Math.max(0, e.expiresAt - now) }));
      },
    },
    {
      name: 'htable.sets',
      mutates: true,
      help: `Ban a source address cluster-wide: {"table":"${BAN_TABLE}","key":"198.51.100.7","value":"manual","ttl":600} (ttl seconds; absent = until deleted).`,
      params: { table: `table name (${BAN_TABLE})`, key: 'source IP address', value: 'why (free text)', ttl: 'seconds' },
      async run(p) {
        tableParam(p.table);
        if (typeof p.key !== 'string' || isIP(p.key) === 0) throw new AdminError('key must be an IP address');
        const ttl = p.ttl === undefined ? undefined : Number(p.ttl);
        if (ttl !== undefined && (!Number.isFinite(ttl) || ttl <= 0)) throw new AdminError('ttl must be a positive number of seconds');
        const e = await table.set(p.key, typeof p.value === 'string' ? p.value : 'manual', ttl === undefined ? undefined : ttl * 1000);
        return { key: e.key, value: e.value, expiresAt: e.expiresAt };
      },
    },
    {
      name: 'htable.delete',
      mutates: true,
      help: `Lift a ban cluster-wide: {"table":"${BAN_TABLE}","key":"198.51.100.7"}.`,
      params: { table: `table name (${BAN_TABLE})`, key: 'source IP address' },
      async run(p) {
        tableParam(p.table);
        if (typeof p.key !== 'string') throw new AdminError('key is required');
        return { deleted: await table.delete(p.key) };
      },
    },
  ];
}
