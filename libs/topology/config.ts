// The `topology` config section: which hiding mode, and the Kamailio topoh /
// topos modparams each mode takes (same names, durations with units).
import { defineSection, t, type SectionProblem } from '#libs/config';
import { MIN_MASK_KEY_CHARS, resolveTopohConfig, TOPOH_DEFAULTS, type TokenVersion } from '#libs/topoh';

export const topologySection = defineSection(
  'topology',
  {
    mode: t.enum(['none', 'topoh', 'topos'], {
      doc: 'Topology hiding: "none"; "topoh" (Kamailio topoh: Via stack, Contact and Record-Route sealed into tokens with mask_key, stateless, any node decodes, restarts lose nothing); "topos" (Kamailio topos: Via, Record-Route and Contact stripped and kept in the shared state, Redis in a cluster). Both hide in both directions: each side sees only the node. See docs/topology.md for what is and is not hidden.',
      default: 'none',
    }),
    mask_callid: t.bool({
      doc: 'Also hide the Call-ID: the other side sees an opaque value (topoh: sealed with callid_prefix; topos: "tpsc-" and the dialog token), restored on the way back (Kamailio mask_callid).',
      default: false,
    }),
    sdp: t.enum(['keep', 'origin', 'all'], {
      doc: 'SDP bodies: "keep" them; "origin" rewrites the o= line\'s address to the advertised address of the socket the message leaves by (an identifier only: safe); "all" also rewrites c= lines, which sends media to that address: only for media anchored there (rtpengine, later).',
      default: 'keep',
    }),
    mask_key: t.string({
      secret: true,
      doc: `topoh: the secret every node of the cluster shares (at least ${MIN_MASK_KEY_CHARS} chars). Tokens are sealed (token_version) under keys derived from it; a changed key makes every live dialog's tokens unreadable. Set it through SBC_TOPOLOGY_MASK_KEY rather than in the file.`,
      default: '',
    }),
    mask_ip: t.string({
      doc: 'topoh: host[:port] shown in masked Contact and Record-Route URIs; requests to it must reach the cluster (the load balancer address). Unset: the first listener\'s advertised address.',
      optional: true,
    }),
    uparam_name: t.string({ doc: 'topoh: URI parameter carrying a sealed URI.', default: TOPOH_DEFAULTS.uparamName }),
    uparam_prefix: t.string({ doc: 'topoh: prefix of that parameter\'s value.', default: TOPOH_DEFAULTS.uparamPrefix }),
    vparam_name: t.string({ doc: 'topoh: Via parameter carrying the sealed Via stack ("branch" keeps one Via parameter; another name adds one).', default: TOPOH_DEFAULTS.vparamName }),
    vparam_prefix: t.string({ doc: 'topoh: prefix of that value; starts with the RFC 3261 magic cookie z9hG4bK.', default: TOPOH_DEFAULTS.vparamPrefix }),
    callid_prefix: t.string({ doc: 'topoh: prefix marking a sealed Call-ID.', default: TOPOH_DEFAULTS.callIdPrefix }),
    token_version: t.int({
      doc: 'topoh: the format of the Via, Contact and Record-Route tokens this node writes; every node opens both, and Call-IDs are always sealed in format 1 (a dialog keeps one masked Call-ID on every node). 2: AES-256-CTR with a synthetic IV, one AES context reused for every token, about half the CPU of 1. 1: AES-256-GCM, a context per token, the format of builds that open only 1. A rolling upgrade from such a build: roll out with 1, then switch every node to 2 (docs/topology.md, "Tokens").',
      min: 1,
      max: 2,
      default: 2,
    }),
    branch_expire: t.duration({
      doc: 'topos: how long an unanswered dialog\'s record and the first INVITE\'s branch record (its Via stack, for 2xx retransmissions reaching another node) live (Kamailio branch_expire, 180 s).',
      min: 1000,
      default: 180_000,
    }),
    dialog_expire: t.duration({
      doc: 'topos: lifetime of a confirmed dialog\'s record, renewed by every in-dialog request; removed on BYE (Kamailio dialog_expire, 10800 s). Longer than your longest call without re-INVITE or session refresh.',
      min: 10_000,
      default: 10_800_000,
    }),
  },
  {
    doc: 'Topology hiding (Kamailio topoh / topos): nothing the node relays names an address, host, port or Call-ID of the other side. docs/topology.md says what is hidden and how.',
    checks: [
      (c) => {
        const p: SectionProblem[] = [];
        if (c.mode !== 'topoh') return p;
        if (c.mask_key.length < MIN_MASK_KEY_CHARS) p.push({ path: 'mask_key', message: `topoh needs a mask_key of at least ${MIN_MASK_KEY_CHARS} chars, the same on every node` });
        else {
          try {
            resolveTopohConfig(topohOptions(c, c.mask_ip ?? '127.0.0.1'));
          } catch (err) {
            for (const line of (err as Error).message.split('\n').slice(1)) p.push({ path: 'mode', message: line.trim() });
          }
        }
        return p;
      },
    ],
  },
);

type TopologyValues = {
  readonly mask_key: string;
  readonly mask_callid: boolean;
  readonly uparam_name: string;
  readonly uparam_prefix: string;
  readonly vparam_name: string;
  readonly vparam_prefix: string;
  readonly callid_prefix: string;
  readonly token_version: number;
};

/** The libs/topoh codec options from this section. */
export function topohOptions(c: TopologyValues, maskIp: string) {
  return {
    maskKey: c.mask_key,
    maskIp,
    maskCallId: c.mask_callid,
    uparamName: c.uparam_name,
    uparamPrefix: c.uparam_prefix,
    vparamName: c.vparam_name,
    vparamPrefix: c.vparam_prefix,
    callIdPrefix: c.callid_prefix,
    tokenVersion: c.token_version as TokenVersion,
  };
}
