// The `pike` config section (Kamailio pike modparams, plus what a cluster needs).
import { defineSection, t, type InferSchema, type SectionProblem } from '#libs/config';
import { addressProblem } from './addresses.ts';

export const pikeSection = defineSection(
  'pike',
  {
    enabled: t.bool({ doc: 'Count requests per source IP cluster-wide and ban sources above reqs_density_per_unit (Kamailio pike + htable ipban).', default: false }),
    sampling_time_unit: t.duration({
      doc: 'Length of the sampling unit (Kamailio sampling_time_unit, there in seconds). Requests are counted over the last unit (a sliding window over two fixed Redis windows).',
      min: 100,
      max: 3_600_000,
      default: 2000,
    }),
    reqs_density_per_unit: t.int({
      doc: 'Requests one source may send per sampling unit, counted over every node; the next one trips the limit (Kamailio reqs_density_per_unit).',
      min: 1,
      max: 10_000_000,
      default: 30,
    }),
    remove_latency: t.duration({
      doc: 'How long a source that tripped the limit stays banned (Kamailio remove_latency): the TTL of its ipban entry unless ban_time is set.',
      min: 1000,
      default: 120_000,
    }),
    action: t.enum(['drop', 'reply'], {
      doc: 'What happens to a request refused by pike before the ban takes hold: drop silently, or reply a stateless 503 Service Unavailable with Retry-After. Banned sources are always dropped by the bans gate.',
      default: 'drop',
    }),
    ban_time: t.duration({
      doc: 'TTL of the ipban entry written when a source trips the limit; unset = remove_latency.',
      min: 1000,
      optional: true,
    }),
    trusted: t.list(
      t.string({
        doc: 'An IP address or CIDR.',
        nonEmpty: true,
        check: addressProblem,
      }),
      { doc: 'Sources never counted nor banned (peers, gateways, monitoring). The node also exempts its own addresses and the dispatcher gateways.', default: [] },
    ),
    flush_interval: t.duration({
      doc: 'How often each node sends its local counts to Redis in one round trip and learns the cluster totals back; bounds how stale the cluster view is.',
      min: 10,
      default: 100,
    }),
  },
  {
    doc: 'Anti-flood (Kamailio pike): per-source request density counted cluster-wide; a source over the limit is banned in the ipban table on every node.',
    checks: [
      (c) => {
        const p: SectionProblem[] = [];
        // A node learns the others' counts up to two flush intervals late; beyond a
        // quarter unit a flood could no longer be stopped within one unit (docs/pike.md).
        if (c.flush_interval * 4 > c.sampling_time_unit)
          p.push({ path: 'flush_interval', message: `must be at most a quarter of sampling_time_unit (${c.sampling_time_unit} ms): nodes learn each other's counts up to two flush intervals late` });
        return p;
      },
    ],
  },
);

/** The section's typed value (config.pike). */
export type PikeConfig = InferSchema<typeof pikeSection.fields>;

/** ban_time, or remove_latency when unset. */
export function banTimeOf(c: Pick<PikeConfig, 'ban_time' | 'remove_latency'>): number {
  return c.ban_time ?? c.remove_latency;
}
