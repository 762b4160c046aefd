// The `admin` config section: where the admin API listens and which bearer
// tokens open it. Closed by default: without a tokens file every admin call
// is answered 401.
import { defineSection, t } from '#libs/config';

export const adminSection = defineSection(
  'admin',
  {
    port: t.int({
      doc: 'Port of a separate HTTP listener for /admin (then the http port serves only /metrics and the probes, and /admin there is 404). Unset: /admin is served on the http port, still behind the tokens.',
      min: 1,
      max: 65535,
      optional: true,
    }),
    host: t.string({ doc: 'Address of the separate admin listener (with admin.port).', default: '127.0.0.1', nonEmpty: true }),
    tokens_file: t.path({
      doc: 'File of admin bearer tokens, one "<name> <role> <token>" per line (role: read = commands that change nothing, admin = every command; token >= 16 characters; # comments). Several lines let a token be rotated without a gap; the file is re-read when it changes. Unset: the admin API is closed (every call 401). Keep it out of ConfigMaps: mount it from a Secret.',
      optional: true,
    }),
    create_tokens_file: t.bool({
      doc: 'For development: when tokens_file does not exist, create it (mode 0600) with one random admin token named "dev". The log names the file, never the token.',
      default: false,
    }),
  },
  {
    doc: 'The admin API (kamcmd-style commands, `sbcctl`): bearer tokens, and an optional port of its own. Mutating commands take POST only and each call is logged (audit line with the token name).',
    checks: [(v) => (v.create_tokens_file && v.tokens_file === undefined ? [{ path: 'create_tokens_file', message: 'needs admin.tokens_file (the file to create)' }] : [])],
  },
);
