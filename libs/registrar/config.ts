// The `registrar` config section (Kamailio registrar modparams where they
// exist: default_expires, min_expires, max_expires, max_contacts).
import { defineSection, t, type InferSchema, type SectionProblem } from '#libs/config';

export const registrarSection = defineSection(
  'registrar',
  {
    enabled: t.bool({ doc: 'Answer REGISTERs for the local domains (auth.domains) and route requests for their users to the registered contacts (Kamailio registrar save/lookup). With auth disabled the registrar is open: anyone may register any user; keep auth on.', default: false }),
    default_expires: t.int({ doc: 'Binding lifetime in seconds when the REGISTER gives none (default_expires).', min: 1, max: 604_800, default: 3600 }),
    min_expires: t.int({ doc: 'Shortest lifetime accepted in seconds; a shorter non-zero one gets 423 Interval Too Brief with Min-Expires (min_expires).', min: 0, max: 86_400, default: 60 }),
    max_expires: t.int({ doc: 'Longest lifetime granted in seconds; longer requests are cut to it (max_expires). 0 = no limit.', min: 0, max: 31_536_000, default: 86_400 }),
    max_contacts: t.int({ doc: 'Bindings one AoR may hold, and Contact values one REGISTER may carry (max_contacts); more get 403.', min: 1, max: 1000, default: 10 }),
    use_received: t.bool({ doc: 'Send requests for a user to the address its REGISTER came from (the received address, as after fix_nated_register), not the Contact URI: reaches phones behind NAT.', default: true }),
    fork: t.enum(['serial', 'parallel'], {
      doc: 'A user with several contacts: "serial" tries them one after another, best q first (Kamailio t_load_contacts / t_next_contacts); "parallel" rings them all at once, the first 2xx wins and CANCELs the others (Kamailio lookup + append_branches). Either way 480 when no contact is there.',
      default: 'serial',
    }),
    branch_timeout: t.duration({ doc: 'Several contacts are tried one after another, best q first (serial forking, Kamailio t_load_contacts / t_next_contacts): a contact that sends no response at all within this time is given up for the next one. One that rings unanswered is given up when the INVITE times out (tm.fr_inv_timer).', min: 500, max: 120_000, default: 8000 }),
  },
  {
    doc: 'Registrar and location service (Kamailio registrar + usrloc): bindings in the shared state, any node answers for any user.',
    checks: [
      (c) => {
        const p: SectionProblem[] = [];
        if (c.max_expires > 0 && c.max_expires < c.min_expires) p.push({ path: 'max_expires', message: `must be 0 or at least min_expires (${c.min_expires})` });
        if (c.default_expires < c.min_expires) p.push({ path: 'default_expires', message: `must be at least min_expires (${c.min_expires})` });
        return p;
      },
    ],
  },
);

export type RegistrarConfig = InferSchema<typeof registrarSection.fields>;
