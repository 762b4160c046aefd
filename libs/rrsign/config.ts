// The `rr_sign` config section: the node signs the Record-Route it inserts,
// and refuses in-dialog requests whose Route names this cluster without a
// valid signature (issue 20: forged in-dialog requests).
import { defineSection, t, type InferSchema, type SectionProblem } from '#libs/config';
import { MIN_SECRET_CHARS } from './signer.ts';

export const rrSignSection = defineSection(
  'rr_sign',
  {
    mode: t.enum(['off', 'sign', 'enforce'], {
      doc: 'off: Record-Route is not signed and in-dialog requests are not checked (any in-dialog request whose Route names the node is relayed, as Kamailio loose_route does). sign: the node signs its Record-Route (`rrs` parameter: an HMAC of Call-ID and ftag) and refuses in-dialog requests whose Route to this node carries a wrong signature, but accepts unsigned ones (the rolling-upgrade grace: dialogs set up before every node signed carry none; sbc_rr_sign_checks_total{result="unsigned_accepted"} counts them). enforce: unsigned ones are refused too (403) unless the source is trusted. Switch from sign to enforce once every node signs and the longest dialog set up before has ended.',
      default: 'off',
    }),
    secret: t.string({
      secret: true,
      optional: true,
      doc: `Signing secret (at least ${MIN_SECRET_CHARS} chars), the same on every node: a node checks routes another signed. Set it through SBC_RR_SIGN_SECRET or a Kubernetes Secret, not in the file.`,
    }),
    previous_secrets: t.list(t.string({ doc: 'A retired secret.', nonEmpty: true, secret: true }), {
      doc: 'Secrets still accepted for checking (not for signing): put the old secret here when rotating, and remove it once the longest dialog signed with it has ended.',
      default: [],
    }),
  },
  {
    doc: 'Signed Record-Route (issue 20): no relaying of forged in-dialog requests whose Route names this cluster. docs/rr-sign.md.',
    checks: [
      (c) => {
        const p: SectionProblem[] = [];
        if (c.mode === 'off') return p;
        if (c.secret === undefined || c.secret.length < MIN_SECRET_CHARS) p.push({ path: 'secret', message: `rr_sign needs a secret of at least ${MIN_SECRET_CHARS} chars, the same on every node` });
        for (const [i, s] of c.previous_secrets.entries()) if (s.length < MIN_SECRET_CHARS) p.push({ path: `previous_secrets[${i}]`, message: `needs at least ${MIN_SECRET_CHARS} chars` });
        return p;
      },
    ],
  },
);

export type RrSignConfig = InferSchema<typeof rrSignSection.fields>;
