// Admin commands in kamcmd style: dispatcher.list, dispatcher.set_state,
// dispatcher.reload. They act on this node; the node publishes the resulting
// state events on NATS so every node follows.
import { AdminError, type AdminCommand } from '#libs/admin';
import { formatConfigErrors, type ConfigError } from '#libs/config';
import type { DispatcherState, ReloadSummary } from './state.ts';
import { parseStateCode } from './state-machine.ts';
import { DispatcherError } from './types.ts';

export interface DispatcherAdminDeps {
  readonly state: DispatcherState;
  /** active calls per duid, cluster-wide (call load), shown as `calls` */
  readonly callsOf?: (duids: string[]) => Promise<ReadonlyMap<string, number>>;
  /** re-reads list file + config and applies it; absent = no dispatcher.reload command */
  readonly reload?: () => Promise<{ ok: true; summary: ReloadSummary } | { ok: false; errors: readonly ConfigError[] }>;
}

export function dispatcherAdminCommands(deps: DispatcherAdminDeps): AdminCommand[] {
  const { state } = deps;
  const cmds: AdminCommand[] = [
    {
      name: 'dispatcher.list',
      mutates: false,
      help: 'Destination sets with the live state of every destination (flags: A active, I inactive, T trying, D disabled; P probing, X not), probe latency (avg, std, est, max, timeouts) and active calls (by duid).',
      async run() {
        const sets = state.list();
        const duids = [...new Set(sets.flatMap((s) => s.destinations.flatMap((d) => (d.duid === undefined ? [] : [d.duid]))))];
        if (deps.callsOf === undefined || duids.length === 0) return { sets };
        const counts = await deps.callsOf(duids).catch(() => undefined);
        if (counts === undefined) return { sets, callsError: 'call load unreadable (Redis down?)' };
        return { sets: sets.map((s) => ({ ...s, destinations: s.destinations.map((d) => (d.duid === undefined ? d : { ...d, calls: counts.get(d.duid) ?? 0 })) })) };
      },
    },
    {
      name: 'dispatcher.set_state',
      mutates: true,
      help: 'Set a destination state, e.g. {"state":"ip","group":1,"address":"sip:127.0.0.1:5080"}.',
      params: {
        state: 'a, i, t or d (active, inactive, trying, disabled), optionally followed by p to turn probing on',
        group: 'destination set id',
        address: 'destination URI exactly as listed',
      },
      run(params) {
        const code = params.state;
        const group = typeof params.group === 'string' && /^\d+$/.test(params.group) ? Number(params.group) : params.group;
        const address = params.address;
        if (typeof code !== 'string') throw new AdminError('state is required (a, i, t, d, optionally with p)');
        const parsed = parseStateCode(code);
        if (!parsed) throw new AdminError(`state "${code}" is not one of a, i, t, d (optionally followed by p)`);
        if (typeof group !== 'number' || !Number.isInteger(group)) throw new AdminError('group must be a set id');
        if (typeof address !== 'string' || address === '') throw new AdminError('address must be a destination URI');
        try {
          const s = state.setState(group, address, parsed.kind, { ...(parsed.probe !== undefined ? { probe: parsed.probe } : {}), reason: 'admin' });
          return { group, address, state: s.state.kind, probe: s.probe };
        } catch (err) {
          if (err instanceof DispatcherError) throw new AdminError(err.message, 404);
          throw err;
        }
      },
    },
  ];
  const reload = deps.reload;
  if (reload) {
    cmds.push({
      name: 'dispatcher.reload',
      mutates: true,
      help: 'Re-read dispatcher.list_file and the inline sets; destinations that stay keep their live state.',
      async run() {
        const res = await reload();
        if (!res.ok) throw new AdminError(formatConfigErrors(res.errors), 422);
        return res.summary;
      },
    });
  }
  return cmds;
}
