// Named types of the node's core config, for code that takes one section.
import type { DeepReadonly } from './load.ts';
import type { ConfigOf } from './section.ts';
import type { nodeSections } from './node-schema.ts';

export type NodeConfig = DeepReadonly<ConfigOf<typeof nodeSections>>;
