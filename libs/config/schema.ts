// The schema toolkit in one namespace: t.int({...}), t.list(t.string({...}), {...}) ...
import { string, int, bool, duration, enumOf, hostPort, url, filePath } from './scalars.ts';
import { list, map, object, union } from './composites.ts';

export const t = {
  string,
  int,
  bool,
  /** milliseconds; "500ms", "2s", "1m" or a number of ms */
  duration,
  enum: enumOf,
  /** "host:port" -> { host, port } */
  hostPort,
  url,
  /** relative to the config file's folder */
  path: filePath,
  list,
  map,
  object,
  union,
} as const;
