// Renders the config reference (docs/config.md) from the schema docs of a
// list of sections. The node's whole list (core + every feature's) is known
// only to services/sbc: `npm run docs:config` (services/sbc/gen-config-docs.ts)
// writes the file and services/sbc/config-docs.test.ts keeps it current.
import { envVarName } from './env.ts';
import type { AnyField } from './field.ts';
import type { AnySection } from './section.ts';

interface Row {
  key: string;
  field: AnyField;
  /** undefined inside lists (the list's own variable sets the whole list) */
  envVar: string | undefined;
}

/** Every documented option of a section, depth first; list items of objects are listed as "key[].sub". */
function rows(section: AnySection): Row[] {
  const out: Row[] = [];
  const visit = (field: AnyField, keyPath: string[], display: string, envOk: boolean) => {
    if (field.kind === 'object' && field.fields) {
      for (const [k, f] of Object.entries(field.fields)) visit(f, [...keyPath, k], display === '' ? k : `${display}.${k}`, envOk && field.env);
      return;
    }
    out.push({ key: display, field, envVar: envOk && field.env ? envVarName([section.name, ...keyPath]) : undefined });
    if (field.kind === 'list' && field.item?.kind === 'object' && field.item.fields) {
      for (const [k, f] of Object.entries(field.item.fields)) visit(f, [...keyPath, k], `${display}[].${k}`, false);
    }
  };
  for (const [k, f] of Object.entries(section.fields as Record<string, AnyField>)) visit(f, [k], k, true);
  return out;
}

/** Dotted paths (items and alternatives included) whose doc text is empty. */
export function undocumented(sections: readonly AnySection[]): string[] {
  const out: string[] = [];
  const visit = (field: AnyField, path: string) => {
    if (field.doc.trim() === '') out.push(path);
    for (const [k, f] of Object.entries(field.fields ?? {})) visit(f, `${path}.${k}`);
    if (field.item) visit(field.item, `${path}[]`);
    field.alternatives?.forEach((a, i) => visit(a, `${path}<${i}>`));
  };
  for (const s of sections) {
    if (s.doc.trim() === '') out.push(s.name);
    for (const [k, f] of Object.entries(s.fields as Record<string, AnyField>)) visit(f, `${s.name}.${k}`);
  }
  return out;
}

function formatMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function formatDefault(field: AnyField): string {
  if (field.defaultDoc !== undefined) return field.defaultDoc;
  const d = field.default;
  if (d === undefined) return field.optional ? '(unset)' : field.kind === 'object' ? '' : 'required';
  if (typeof d === 'function') return '(computed)';
  if (field.kind === 'duration' && typeof d === 'number') return formatMs(d);
  if (typeof d === 'string') return JSON.stringify(d);
  return JSON.stringify(d).replace(/,/g, ', ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderConfigDocs(sections: readonly AnySection[]): string {
  const out: string[] = [];
  out.push('<!-- Generated from the config schema of every section (core and features) by services/sbc/gen-config-docs.ts. Do not edit: change the doc text in the schema and run `npm run docs:config`. -->');
  out.push('');
  out.push('# Configuration');
  out.push('');
  out.push('A node reads one YAML file (`--config <file>`, or `SBC_CONFIG`), then applies `SBC_*` environment variables, then `--set key.path=value` arguments: later wins. See `deploy/sbc.yaml` for a sample.');
  out.push('');
  out.push('- **Validated once, at start.** Every problem is reported together, each naming the file and line (or the variable / argument), the key path and what is wrong. Unknown keys and unknown `SBC_*` variables are errors, with a "did you mean" hint.');
  out.push('- **Environment variables**: `SBC_<SECTION>_<KEY>` in upper snake case (`sip.limits.max_message_bytes` → `SBC_SIP_LIMITS_MAX_MESSAGE_BYTES`). Lists take comma-separated items (`SBC_BUS_SERVERS=nats://a:4222,nats://b:4222`) or YAML flow (`[500, 503]`); maps take `key=value,key=value` or `{key: value}`; booleans take true/false/yes/no/on/off/1/0.');
  out.push('- **Durations**: `"500ms"`, `"2s"`, `"1m"`, `"1h"`, `"1m30s"`, or a bare number of milliseconds.');
  out.push('- **Paths** written in the file are relative to the file\'s folder; paths from variables or arguments to the working directory.');
  out.push('- A key written with no value (`server_header:`) counts as absent: the default applies.');
  out.push('');
  for (const s of sections) {
    out.push(`## \`${s.name}\``);
    out.push('');
    out.push(s.doc);
    out.push('');
    out.push('| Key | Type | Default | Environment | Description |');
    out.push('| --- | --- | --- | --- | --- |');
    for (const r of rows(s)) {
      const doc = r.field.secret ? `${r.field.doc} (secret: never echoed in errors)` : r.field.doc;
      const env = r.envVar === undefined ? '' : `\`${r.envVar}\``;
      const def = formatDefault(r.field);
      out.push(`| \`${s.name}.${r.key}\` | ${cell(r.field.typeName)} | ${def === '' || def === 'required' || def === '(unset)' ? def : `\`${cell(def)}\``} | ${env} | ${cell(doc)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
