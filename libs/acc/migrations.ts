// The accounting schema's migrations, in order. Each runs once, in its own
// transaction, recorded in acc_schema_migrations (pg-store.ts migrate()). Kept
// as TypeScript so the bundled writer (dist/cdr-writer.mjs) carries them; a
// new version is a new entry at the end, never an edit of an applied one.
// To read or apply one by hand: `npx tsx -e "import('./libs/acc/migrations.ts').then(m => console.log(m.MIGRATIONS[0].sql))" | psql`.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '001_acc',
    sql: `
-- Accounting schema, version 1. Tables close to Kamailio's acc module (db_url
-- tables acc, missed_calls and acc_cdrs), so operators can reuse their queries:
--   acc          one row per accounted event (INVITE attempts and answers, BYE, CANCEL)
--   acc_cdrs     one row per call (start_time, end_time, duration like Kamailio's cdr_enable)
--   missed_calls a view: the calls never answered (Kamailio log_missed_flag)
-- plus acc_open_calls, where the writer keeps calls still being assembled.

CREATE TABLE acc (
  id          bigserial PRIMARY KEY,
  -- unique per event across the cluster: what makes a retried batch harmless
  event_id    varchar(128) NOT NULL UNIQUE,
  method      varchar(16)  NOT NULL DEFAULT '',
  event       varchar(16)  NOT NULL,
  from_tag    varchar(128) NOT NULL DEFAULT '',
  to_tag      varchar(128) NOT NULL DEFAULT '',
  callid      varchar(255) NOT NULL,
  sip_code    varchar(3)   NOT NULL DEFAULT '',
  sip_reason  varchar(128) NOT NULL DEFAULT '',
  time        timestamptz  NOT NULL,
  node        varchar(64)  NOT NULL,
  attempt     integer,
  gateway     varchar(255),
  duid        varchar(64),
  data        jsonb        NOT NULL
);
CREATE INDEX acc_callid_idx ON acc (callid);
CREATE INDEX acc_time_idx ON acc (time);

CREATE TABLE acc_cdrs (
  id          bigserial PRIMARY KEY,
  start_time  timestamptz  NOT NULL,
  end_time    timestamptz  NOT NULL,
  -- seconds, answer to end (0 when not answered), as Kamailio's acc_cdrs.duration
  duration    numeric(12,3) NOT NULL DEFAULT 0,
  -- the caller-side Call-ID: one record per call, whatever happens
  callid      varchar(255) NOT NULL UNIQUE,
  core_callid varchar(255),
  from_uri    text,
  from_tag    varchar(128),
  to_uri      text,
  to_tag      varchar(128),
  ruri        text,
  src_ip      varchar(64),
  src_port    integer,
  transport   varchar(8),
  auth_user   varchar(128),
  node        varchar(64),
  bye_node    varchar(64),
  gateway     varchar(255),
  duid        varchar(64),
  reroutes    integer      NOT NULL DEFAULT 0,
  attempts    jsonb        NOT NULL,
  invite_time timestamptz,
  ring_time   timestamptz,
  answer_time timestamptz,
  -- seconds, INVITE to answer (or to the final failure): Kamailio's usual cdr extra "setuptime"
  setuptime   numeric(12,3),
  -- seconds, INVITE to first provisional or final (RFC 6076 session request delay)
  srd         numeric(12,3),
  end_reason  varchar(16)  NOT NULL,
  failure     varchar(32),
  sip_code    integer      NOT NULL,
  sip_reason  varchar(128) NOT NULL DEFAULT '',
  created     timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX acc_cdrs_start_time_idx ON acc_cdrs (start_time);
CREATE INDEX acc_cdrs_gateway_idx ON acc_cdrs (duid, start_time);

CREATE VIEW missed_calls AS
  SELECT id, 'INVITE'::varchar(16) AS method, from_tag, to_tag, callid, sip_code::varchar(3) AS sip_code, sip_reason,
         start_time AS time, from_uri, to_uri, src_ip, gateway, duid, failure, end_reason
  FROM acc_cdrs WHERE answer_time IS NULL;

CREATE TABLE acc_open_calls (
  callid      varchar(255) PRIMARY KEY,
  state       jsonb        NOT NULL,
  -- when the writer stops waiting: closed as node_lost (never answered) or expired (answered, no BYE)
  deadline    timestamptz  NOT NULL,
  updated     timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX acc_open_calls_deadline_idx ON acc_open_calls (deadline);
`,
  },
];
