// kamcmd-style commands (Kamailio secfilter RPC names). List changes made
// here act on THIS node only and last until the next config reload; a change
// meant for the whole cluster goes into the config (cluster config reload).
import type { Logger } from 'pino';
import { AdminError, type AdminCommand } from '#libs/admin';
import type { Secfilter } from './filter.ts';
import { LIST_TYPES, type ListName, type ListType } from './lists.ts';
import type { SecfilterMetrics } from './metrics.ts';

const TYPES_DOC = LIST_TYPES.join(', ');

function typeParam(v: unknown, required: true): ListType;
function typeParam(v: unknown, required: false): ListType | undefined;
function typeParam(v: unknown, required: boolean): ListType | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !(LIST_TYPES as readonly string[]).includes(v)) throw new AdminError(`type must be one of ${TYPES_DOC} (got ${JSON.stringify(v)})`);
  return v as ListType;
}

function valueParam(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new AdminError('value is required (a non-empty string)');
  return v;
}

export function secfilterAdminCommands(filter: Secfilter, metrics: SecfilterMetrics, logger: Logger): AdminCommand[] {
  const apply = (type: ListType, list: ListName, op: 'add' | 'delete', value: string) => {
    let res: { entry: string; added: boolean } | { entry: string; deleted: boolean };
    try {
      res = op === 'add' ? filter.add(type, list, value) : filter.delete(type, list, value);
    } catch (err) {
      if (err instanceof RangeError) throw new AdminError(err.message);
      throw err;
    }
    logger.info({ type, list, ...res }, `secfilter ${list} ${op === 'add' ? 'entry added' : 'entry removed'} by admin command (this node only)`);
    return { type, list, ...res, size: filter.view(type)[list].length };
  };
  const change = (name: string, list: ListName, op: 'add' | 'delete'): AdminCommand => ({
    name,
    mutates: true,
    help: `${op === 'add' ? 'Add a value to' : 'Remove a value from'} a ${list} on this node until the next config reload: {"type":"ua","value":"friendly-scanner"}. Cluster-wide: change the secfilter config.`,
    params: { type: `list type: ${TYPES_DOC}`, value: 'the entry (ip: address or CIDR prefix; dst: called number)' },
    run: (p) => apply(typeParam(p.type, true), list, op, valueParam(p.value)),
  });
  return [
    {
      name: 'secfilter.print',
      mutates: false,
      help: 'Black and white lists as this node applies them (config plus runtime changes), with match mode and action: {"type":"ua"} for one type, {} for all.',
      params: { type: `optional list type: ${TYPES_DOC}` },
      run(p) {
        const only = typeParam(p.type, false);
        const types = only === undefined ? LIST_TYPES : [only];
        return {
          enabled: filter.enabled,
          sqli: filter.sqliEnabled,
          lists: Object.fromEntries(types.map((t) => [t, filter.view(t)])),
        };
      },
    },
    {
      name: 'secfilter.stats',
      mutates: false,
      help: 'Requests blocked per check (ua, ip, domain, user, dst, sqli) and whitelist hits per list type on this node, since start or the last secfilter.stats_reset.',
      run: () => metrics.stats(),
    },
    {
      name: 'secfilter.stats_reset',
      mutates: true,
      help: 'Reset the numbers secfilter.stats shows (the Prometheus counters keep counting).',
      run() {
        metrics.reset();
        return { reset: true };
      },
    },
    change('secfilter.add_bl', 'blacklist', 'add'),
    change('secfilter.add_wl', 'whitelist', 'add'),
    change('secfilter.del_bl', 'blacklist', 'delete'),
    change('secfilter.del_wl', 'whitelist', 'delete'),
    {
      name: 'secfilter.add_dst',
      mutates: true,
      help: 'Blacklist a called number on this node (Kamailio secfilter.add_dst; same as secfilter.add_bl with type "dst"): {"value":"0900123456"}.',
      params: { value: 'called number (separators ignored)' },
      run: (p) => apply('dst', 'blacklist', 'add', valueParam(p.value)),
    },
  ];
}
