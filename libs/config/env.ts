// SBC_* environment variables and --set arguments. Every option that is not
// an object has one variable: SBC_<SECTION>_<KEY...> in upper snake case
// (sip.limits.maxMessageBytes -> SBC_SIP_LIMITS_MAX_MESSAGE_BYTES). A list of
// objects (sip.listen) is one variable holding the whole list.
import type { AnyField } from './field.ts';
import type { AnySection } from './section.ts';

/** The variable naming the config file when loadConfig is given none. */
export const CONFIG_FILE_ENV = 'SBC_CONFIG';

export interface EnvOption {
  readonly envVar: string;
  /** "sip.limits.maxMessageBytes" */
  readonly dotted: string;
  /** ["sip", "limits", "maxMessageBytes"] */
  readonly path: readonly string[];
  readonly field: AnyField;
}

/** "maxMessageBytes" -> "MAX_MESSAGE_BYTES", "fr_timer" -> "FR_TIMER", "t1" -> "T1" */
export function upperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

export function envVarName(path: readonly string[]): string {
  return `SBC_${path.map(upperSnake).join('_')}`;
}

/** Every settable option of the sections, keyed by variable name. Throws when two options map to one variable. */
export function envOptions(sections: readonly AnySection[]): Map<string, EnvOption> {
  const out = new Map<string, EnvOption>();
  const visit = (field: AnyField, path: string[]) => {
    if (!field.env) return;
    if (field.kind === 'object' && field.fields) {
      for (const [k, f] of Object.entries(field.fields)) visit(f, [...path, k]);
      return;
    }
    const envVar = envVarName(path);
    const prev = out.get(envVar);
    if (prev) throw new Error(`config options "${prev.dotted}" and "${path.join('.')}" both map to ${envVar}; rename one`);
    if (envVar === CONFIG_FILE_ENV) throw new Error(`config option "${path.join('.')}" maps to the reserved ${CONFIG_FILE_ENV}`);
    out.set(envVar, { envVar, dotted: path.join('.'), path, field });
  };
  for (const s of sections) visit(s.field, [s.name]);
  return out;
}
