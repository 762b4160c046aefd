// Versioned cluster config documents in MemoryData.
import type { ConfigStore } from '../types.ts';
import { checkInt, checkNonEmpty } from '../validate.ts';
import type { MemoryData } from './data.ts';

export function memoryConfig(data: MemoryData): ConfigStore {
  return {
    async get(kind) {
      checkNonEmpty('config kind', kind);
      const d = data.config.get(kind);
      return d ? { ...d } : null;
    },
    async put(kind, doc, version) {
      checkNonEmpty('config kind', kind);
      checkInt('config version', version, 0);
      const cur = data.config.get(kind);
      if (cur && cur.version >= version) return { ok: false, current: cur.version };
      data.config.set(kind, { kind, doc, version });
      return { ok: true, version };
    },
    async list() {
      return [...data.config.values()].map((d) => ({ ...d })).sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
    },
  };
}
