// libs/acc: accounting (Kamailio acc with cdr_enable, missed calls and failed
// transactions): one record per call, from the proxy's call events.
//   accSection / cdrWriterSection   config of the node (`acc`) and of services/cdr-writer (`cdr_writer`)
//   AccEmitter                      node side: events buffered and sent in batches (queue or local sink)
//   LocalAssembler                  embedded mode: records assembled on the node, appended to a JSON Lines file
//   startCdrWriter                  the writer: queue -> PostgreSQL, exactly once, deadlines, acc.stats
//   PgAccStore, migrate             the PostgreSQL schema (migrations.ts) and the per-batch transaction
//   record.ts                       the assembly itself (pure)
// See docs/accounting.md.
export { accSection, cdrWriterSection, type AccConfig, type CdrWriterConfig } from './config.ts';
export { AccEmitter, EMITTER_METRIC_NAMES, type AccSink, type EmitterOptions, type EmitterStats } from './emitter.ts';
export { parseBatch, type AccBatch, type AccEvent, type AccEventInput, type AccEventType } from './events.ts';
export { LocalAssembler, type LocalAssemblerOptions } from './local.ts';
export { ACC_METRIC_NAMES, createCallMetrics, type CallMetrics } from './metrics.ts';
export { DEFAULT_EXPIRY, listMigrations, migrate, PgAccStore, type BatchResult, type Expiry } from './pg-store.ts';
export { MIGRATIONS, type Migration } from './migrations.ts';
export { FAILURE_CLASSES, finishRecord, type AccRecord, type AttemptRecord, type EndReason, type FailureClass } from './record.ts';
export { startCdrWriter, WRITER_METRIC_NAMES, type CdrWriter, type CdrWriterOptions, type WriterStats } from './writer.ts';
export { accFeature } from './feature.ts';
export { accStartStep, callEventToAcc, countingEmit, hopDuid, startEvent } from './adapter.ts';
