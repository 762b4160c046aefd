// The permissions feature as the node wires it: the pipeline step, admin
// commands, rejections and reloads. The compiled tables sit behind one
// reference: a reload (files re-read, or a cluster document) compiles a
// complete new set and swaps it in one assignment; on any error the old set
// stays and the problems are returned.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdminCommand } from '#libs/admin';
import { formatConfigErrors, loadConfig, type ConfigError } from '#libs/config';
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '#libs/proxy';
import type { Rejection } from '#libs/rejections';
import type { SipMessage } from '#libs/sip';
import type { SourceInfo } from './address.ts';
import { permissionsAdminCommands } from './admin.ts';
import { checkRequest } from './check.ts';
import { permissionsSection, type PermissionsConfig } from './config.ts';
import { createPermissionsMetrics } from './metrics.ts';
import { PERMISSIONS_REJECTIONS, policyRejections, replyCodes } from './rejections.ts';
import type { ReadFile } from './rule-files.ts';
import { compileTables, summarize, type Tables, type TablesSummary } from './tables.ts';

/** The ClusterConfig kind carrying permissions documents. */
export const PERMISSIONS_CONFIG_KIND = 'permissions';

/** Name shown in errors about a cluster document. */
export const PERMISSIONS_DOC_NAME = '<permissions document>';

export type ReloadResult = { readonly ok: true; readonly summary: TablesSummary } | { readonly ok: false; readonly errors: readonly ConfigError[] };

export type ParsedDoc = { readonly ok: true; readonly config: PermissionsConfig } | { readonly ok: false; readonly errors: readonly ConfigError[] };

export interface PermissionsDeps {
  readonly config: PermissionsConfig;
  readonly registry: Registry;
  readonly logger: Logger;
  /** default: fs.readFileSync(path, 'utf8') */
  readonly readFile?: ReadFile;
  /** folder that relative paths in cluster documents resolve from (the config file's folder) */
  readonly baseDir?: string;
}

export interface Permissions {
  /** pipeline step "permissions" (a screening step: after sanity, before the transaction) */
  readonly step: Step<RequestContext>;
  /** permissions.address_dump / subnet_dump / trusted_dump / allow_uri / reload */
  readonly admin: AdminCommand[];
  /** every rejection the step can answer with: pass to createRejectionCatalog */
  readonly rejections: readonly Rejection[];
  /** no argument: re-read the rule files of the current config; a document: switch to it (YAML or JSON, the section's shape) */
  reload(doc?: string): ReloadResult;
  /** everything reload(doc) would do except the swap: validate a document before distributing it */
  check(doc: string): ReloadResult;
  /** the tables requests are checked against now */
  tables(): Tables;
  /** Kamailio allow_source_address(group) */
  allowSourceAddress(group: number, source: SourceInfo): boolean;
  /** Kamailio allow_address(group, ip, port); proto optional */
  allowAddress(group: number, ip: string, port: number, proto?: string): boolean;
  /** Kamailio allow_trusted(): the matching row's tag, or undefined */
  allowTrusted(source: SourceInfo, msg: SipMessage): string | undefined;
}

/** Thrown by createPermissions when the start config cannot be compiled (a rule file line, a missing file...). */
export class PermissionsConfigError extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(formatConfigErrors(errors));
    this.name = 'PermissionsConfigError';
  }
}

/**
 * A permissions document (the `permissions` section's body, YAML or JSON) ->
 * validated config, or every problem with its line in the document.
 */
export function parsePermissionsDoc(doc: string, opts: { baseDir?: string } = {}): ParsedDoc {
  if (doc.trim() === '') return { ok: false, errors: [{ code: 'syntax', path: '', message: 'the permissions document is empty', file: PERMISSIONS_DOC_NAME }] };
  // Nest the document under the section key, indented, so loadConfig reads it
  // with its own lines; lines and columns are shifted back in the errors.
  const text = `permissions:\n${doc.split('\n').map((l) => `  ${l}`).join('\n')}`;
  const res = loadConfig({ sections: [permissionsSection] as const, env: {}, text, file: PERMISSIONS_DOC_NAME, ...(opts.baseDir !== undefined ? { cwd: opts.baseDir } : {}) });
  if (res.ok) return { ok: true, config: res.config.permissions };
  return {
    ok: false,
    errors: res.errors.map((e) => {
      if (e.file !== PERMISSIONS_DOC_NAME || e.line === undefined || e.line < 2) return e;
      return { ...e, line: e.line - 1, ...(e.column !== undefined ? { column: Math.max(1, e.column - 2) } : {}) };
    }),
  };
}

export function createPermissions(deps: PermissionsDeps): Permissions {
  const log = deps.logger.child({ component: 'permissions' });
  const metrics = createPermissionsMetrics(deps.registry);
  const custom = policyRejections(deps.config.policies);
  const codes = replyCodes(custom);
  const compile = (config: PermissionsConfig) => compileTables(config, { replyCodes: codes, ...(deps.readFile ? { readFile: deps.readFile } : {}) });

  const first = compile(deps.config);
  if (!first.ok) throw new PermissionsConfigError(first.errors);
  let current: Tables = first.tables;
  log.info({ ...summarize(current), enabled: current.enabled }, 'permissions tables loaded');

  const swapTo = (config: PermissionsConfig, why: string): ReloadResult => {
    const r = compile(config);
    metrics.reloaded(r.ok);
    if (!r.ok) {
      log.error({ why, problems: formatConfigErrors(r.errors) }, 'permissions reload refused; the current tables stay');
      return r;
    }
    current = r.tables; // the one swap: requests see the old tables or the new ones
    const summary = summarize(current);
    log.info({ why, ...summary, enabled: current.enabled }, 'permissions tables reloaded');
    return { ok: true, summary };
  };

  const parseDoc = (doc: string) => parsePermissionsDoc(doc, deps.baseDir !== undefined ? { baseDir: deps.baseDir } : {});

  const reload = (doc?: string): ReloadResult => {
    if (doc === undefined) return swapTo(current.config, 'files');
    const parsed = parseDoc(doc);
    if (!parsed.ok) {
      metrics.reloaded(false);
      log.error({ problems: formatConfigErrors(parsed.errors) }, 'permissions document refused; the current tables stay');
      return parsed;
    }
    return swapTo(parsed.config, 'document');
  };

  const check = (doc: string): ReloadResult => {
    const parsed = parseDoc(doc);
    if (!parsed.ok) return parsed;
    const r = compile(parsed.config);
    return r.ok ? { ok: true, summary: summarize(r.tables) } : r;
  };

  const step: Step<RequestContext> = {
    name: 'permissions',
    run(ctx) {
      const t = current;
      if (!t.enabled) return 'next';
      const d = checkRequest(t, ctx.msg, ctx.source, ctx.inDialog);
      if (d === undefined) return 'next';
      metrics.denied(d.rule);
      return { reject: d.code, detail: d.detail };
    },
  };

  return {
    step,
    admin: permissionsAdminCommands({ tables: () => current, reload: () => reload() }),
    rejections: Object.freeze([...Object.values(PERMISSIONS_REJECTIONS), ...custom]),
    reload,
    check,
    tables: () => current,
    allowSourceAddress: (group, source) => current.addresses.allowSourceAddress(group, source),
    allowAddress: (group, ip, port, proto) => current.addresses.allowAddress(group, ip, port, proto),
    allowTrusted: (source, msg) => current.trusted.allowTrusted(source, msg),
  };
}

/** Applies a cluster document (ClusterConfig kind PERMISSIONS_CONFIG_KIND) to this node's tables. */
export function applyPermissionsDoc(perms: Pick<Permissions, 'reload'>, doc: string): ReloadResult {
  return perms.reload(doc);
}
