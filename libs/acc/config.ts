// Config sections: `acc` on the SBC node, `cdr_writer` for services/cdr-writer.
import { defineSection, t, type InferSchema } from '#libs/config';

const QUEUE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const accSection = defineSection(
  'acc',
  {
    enabled: t.bool({ doc: 'Account calls (Kamailio acc with cdr_enable, log_missed_flag, failed_transaction_flag): one record per initial INVITE, answered, failed, cancelled or refused.', default: false }),
    sink: t.enum(['auto', 'queue', 'file'], {
      doc: 'Where records go. queue = call events in batches to the BullMQ queue in Redis, assembled into records in PostgreSQL by services/cdr-writer (a cluster); file = this node assembles its own records and appends them to `file` as JSON Lines (one node, no Redis); auto = queue when state.backend is redis, else file.',
      default: 'auto',
    }),
    file: t.string({ doc: 'JSON Lines file of the file sink (one record per line), relative to the working directory.', default: 'acc-cdrs.jsonl', nonEmpty: true }),
    queue: t.string({ doc: 'BullMQ queue name of the queue sink (the writer must consume the same name).', default: 'acc', pattern: QUEUE_NAME, patternDoc: 'lower-case letters, digits and "-", starting with a letter' }),
    flush_interval: t.duration({ doc: 'How long events wait on the node before leaving as one batch (one Redis round trip per batch, none per SIP message).', min: 10, max: 10_000, default: 200 }),
    max_batch: t.int({ doc: 'Events per batch; a batch leaves before flush_interval once this many wait.', min: 1, max: 10_000, default: 500 }),
    max_buffered: t.int({ doc: 'Events a node keeps while the queue (Redis) is unreachable; beyond it new events are dropped, counted in sbc_acc_events_dropped_total and logged.', min: 100, max: 10_000_000, default: 50_000 }),
    setup_expire: t.duration({ doc: 'File sink: a call with no final answer and no news for this long is closed as node_lost (the writer has its own setting).', min: 1000, default: 300_000 }),
    dialog_expire: t.duration({ doc: 'File sink: an answered call with no BYE and no news for this long is closed as expired (the writer has its own setting).', min: 1000, default: 10_800_000 }),
  },
  { doc: 'Accounting: call records (docs/accounting.md).' },
);

export type AccConfig = InferSchema<typeof accSection.fields>;

export const cdrWriterSection = defineSection(
  'cdr_writer',
  {
    database_url: t.string({ doc: 'PostgreSQL URL the records are written to (postgres://user:password@host:port/db). The writer applies its migrations at start.', nonEmpty: true, secret: true, default: 'postgres://postgres@127.0.0.1:5432/postgres' }),
    redis_url: t.url({ doc: 'Redis holding the queue (the nodes\' state.redis.url), when redis_mode is single.', protocols: ['redis:', 'rediss:'], default: 'redis://127.0.0.1:6379' }),
    redis_mode: t.enum(['single', 'cluster', 'sentinel'], { doc: 'The nodes\' state.redis.mode: single (redis_url), cluster (redis_nodes are startup nodes) or sentinel (redis_nodes are the sentinels, sentinel_name the master group).', default: 'single' }),
    redis_nodes: t.list(t.url({ doc: 'redis://host:port', protocols: ['redis:', 'rediss:'] }), { doc: 'The nodes\' state.redis.nodes (redis_mode cluster or sentinel).', default: [] }),
    sentinel_name: t.string({ doc: 'The nodes\' state.redis.sentinel_name (redis_mode sentinel).', default: 'mymaster', nonEmpty: true }),
    redis_password: t.string({ doc: 'Redis password (AUTH) of the queue\'s Redis, every redis_mode (the nodes\' state.redis.password); overrides one in the URL. Set it through SBC_CDR_WRITER_REDIS_PASSWORD or a Kubernetes Secret.', optional: true, secret: true }),
    sentinel_password: t.string({ doc: 'redis_mode sentinel: password of the sentinels themselves (the nodes\' state.redis.sentinel_password).', optional: true, secret: true }),
    cluster: t.string({ doc: 'SBC cluster name (the nodes\' node.cluster): the hash tag of the queue keys.', default: 'sbc', pattern: /^[A-Za-z0-9_.-]{1,64}$/, patternDoc: "letters, digits, '.', '-' and '_'" }),
    key_prefix: t.string({ doc: 'Key prefix (the nodes\' state.redis.keyPrefix, without its trailing ":").', default: 'sbc', pattern: /^[A-Za-z0-9_.-]{1,32}$/, patternDoc: "letters, digits, '.', '-' and '_'" }),
    queue: t.string({ doc: 'BullMQ queue name (the nodes\' acc.queue).', default: 'acc', pattern: QUEUE_NAME, patternDoc: 'lower-case letters, digits and "-", starting with a letter' }),
    concurrency: t.int({ doc: 'Batches written at once (each in its own PostgreSQL transaction).', min: 1, max: 64, default: 2 }),
    setup_expire: t.duration({ doc: 'A call with no final answer and no news for this long is closed as node_lost (its node died mid-setup).', min: 1000, default: 300_000 }),
    dialog_expire: t.duration({ doc: 'An answered call with no BYE and no news for this long is closed as expired (Kamailio dialog timeout; topology.dialog_expire is the same idea).', min: 1000, default: 10_800_000 }),
    job_lock: t.duration({ doc: 'How long a batch stays claimed by a writer without renewal: a writer killed mid-batch has its batch taken up by another (or by itself restarted) after this.', min: 1000, max: 600_000, default: 10_000 }),
    sweep_interval: t.duration({ doc: 'How often open calls are checked against their deadline.', min: 100, max: 60_000, default: 1000 }),
    http_host: t.string({ doc: 'Address of the writer\'s HTTP face (/metrics, /healthz, /readyz, /admin).', default: '127.0.0.1', nonEmpty: true }),
    http_port: t.int({ doc: 'Port of the writer\'s HTTP face; 0 = any free port.', min: 0, max: 65535, default: 9465 }),
    log_level: t.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { doc: 'pino log level.', default: 'info' }),
  },
  { doc: 'services/cdr-writer: consumes the accounting queue and writes one record per call to PostgreSQL (docs/accounting.md).' },
);

export type CdrWriterConfig = InferSchema<typeof cdrWriterSection.fields>;
