// libs/state public surface: the shared-state contracts and their backends.
export type {
  BackendStatus,
  ShardHealth,
  Unsubscribe,
  CounterOptions,
  CounterStore,
  CounterEntry,
  FlushResult,
  TableStore,
  TableEntry,
  IncrResult,
  DialogStore,
  DialogRecord,
  DialogPutOptions,
  CallLoadStore,
  CallLoadStart,
  LeaseStore,
  LeaseSync,
  LocationStore,
  Contact,
  ContactInput,
  SaveOptions,
  SaveResult,
  ConfigStore,
  ConfigDoc,
  ConfigPutResult,
  SharedState,
} from './types.ts';

export { createMemoryState, createMemoryData, type MemoryData } from './memory/index.ts';
export type { MemoryStateOptions } from './memory/index.ts';
export { createRedisState, type RedisStateOptions } from './redis/index.ts';
export { topologyOf, type RedisTopology } from './redis/client.ts';
export { StateError, STATE_ERRORS, isUnavailable, type StateErrorCode } from './errors.ts';
export { keySpace, type KeySpace } from './keys.ts';
export {
  createRedisJobQueue,
  createRedisJobWorker,
  deadLetterName,
  PermanentJobError,
  jobPrefix,
  DEFAULT_RETENTION,
  DEFAULT_RETRY,
  type JobQueue,
  type JobQueueCounts,
  type JobQueueOptions,
  type JobRetention,
  type JobRetry,
  type JobLinkStatus,
  type JobWorker,
  type RedisJobWorker,
  type JobWorkerOptions,
  type DeadLetter,
  type ReplayResult,
} from './redis/jobs.ts';
