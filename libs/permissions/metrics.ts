import { Counter, type Registry } from 'prom-client';
import { DENY_RULES, type DenyRule } from './rejections.ts';

export const PERMISSIONS_METRIC_NAMES = {
  denied: 'sbc_permissions_denied_total',
  reloads: 'sbc_permissions_reloads_total',
} as const;

export interface PermissionsMetrics {
  denied(rule: DenyRule): void;
  reloaded(ok: boolean): void;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  // two nodes in one test process may share a registry
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function createPermissionsMetrics(registry: Registry): PermissionsMetrics {
  const denied = counter(registry, PERMISSIONS_METRIC_NAMES.denied, 'requests refused by the permissions step, by check (routing, register, uri, group, address)', ['rule']);
  const reloads = counter(registry, PERMISSIONS_METRIC_NAMES.reloads, 'permissions table reloads (files and cluster documents), by result', ['result']);
  // series exist from the start, so rate() works on the first denial
  for (const rule of DENY_RULES) denied.inc({ rule }, 0);
  for (const result of ['ok', 'failed']) reloads.inc({ result }, 0);
  return {
    denied: (rule) => denied.inc({ rule }),
    reloaded: (ok) => reloads.inc({ result: ok ? 'ok' : 'failed' }),
  };
}
