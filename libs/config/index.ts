// libs/config: YAML configuration with a small schema toolkit.
//
//   const res = loadConfig({ file: 'deploy/sbc.yaml', env: process.env, argv: process.argv.slice(2) });
//   if (!res.ok) { console.error(formatConfigErrors(res.errors)); process.exit(1); }
//   res.config.sip.listen[0].port   // typed, deep-frozen
//
// Precedence: defaults < file < SBC_* variables < --set. Every problem is
// reported at once with file:line (or the variable) and the key path.
// Feature libs: export const mySection = defineSection('pike', { ... }) and the
// service passes [...nodeSections, mySection] to loadConfig({ sections }).
export { t } from './schema.ts';
export { defineSection } from './section.ts';
export type { Section, AnySection, ConfigOf, SectionCheck, SectionProblem } from './section.ts';
export type { Field, AnyField, Schema, InferSchema, InferField, FieldOptions, DefaultsContext, Check } from './field.ts';
export { formatPath } from './field.ts';
export type { HostPort } from './scalars.ts';
export { parseDuration, parseHostPort } from './scalars.ts';
export { loadConfig } from './load.ts';
export type { LoadOptions, LoadResult, DeepReadonly } from './load.ts';
export { formatConfigErrors, formatOrigin, configError } from './errors.ts';
export type { ConfigError, ConfigErrorCode, Origin } from './errors.ts';
export { envVarName, envOptions, upperSnake, CONFIG_FILE_ENV } from './env.ts';
export type { EnvOption } from './env.ts';
export { didYouMean } from './suggest.ts';
export {
  nodeSections,
  nodeSection,
  sipSection,
  httpSection,
  logSection,
  stateSection,
  busSection,
  tmSection,
  sanitySection,
} from './node-schema.ts';
export type { NodeConfig } from './types.ts';
/** docs/config.md rendering (services/sbc/gen-config-docs.ts runs it over every section) */
export { renderConfigDocs, undocumented } from './gen-docs.ts';
