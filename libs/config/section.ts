// Sections: each feature lib contributes one top-level key of the config
// (defineSection("pike", {...})); the node composes the ones it runs. No
// global registry: the list of sections is passed to loadConfig.
import { object } from './composites.ts';
import type { AnyField, InferSchema, Schema } from './field.ts';

export interface SectionProblem {
  /** path inside the section ("t2", "sets[1].uri"); "" for the section itself */
  readonly path: string;
  readonly message: string;
}

/** A cross-field check of a section, run once all its fields are valid. */
export type SectionCheck<T> = (value: T) => readonly SectionProblem[];

export interface Section<N extends string = string, S extends Schema = Schema> {
  readonly name: N;
  readonly doc: string;
  readonly fields: S;
  readonly checks: readonly SectionCheck<InferSchema<S>>[];
  /** the section as one object field */
  readonly field: AnyField;
}

// biome-ignore lint: any is needed to accept every section
export type AnySection = Section<string, any>;

const NAME_RE = /^[a-z][a-z0-9_]*$/;

export function defineSection<const N extends string, const S extends Schema>(
  name: N,
  fields: S,
  opts: {
    readonly doc: string;
    readonly checks?: readonly SectionCheck<InferSchema<S>>[];
    /** keys renamed since (old -> current), still read from files written before */
    readonly renamed?: Readonly<Record<string, string>>;
  },
): Section<N, S> {
  if (!NAME_RE.test(name)) throw new Error(`config section name "${name}" must be lower-case letters, digits and "_"`);
  return { name, doc: opts.doc, fields, checks: opts.checks ?? [], field: object(fields, { doc: opts.doc, ...(opts.renamed ? { renamed: opts.renamed } : {}) }) };
}

/** The typed config of a list of sections: { [section name]: its values }. */
export type ConfigOf<T extends readonly AnySection[]> = {
  readonly [Sec in T[number] as Sec['name']]: InferSchema<Sec['fields']>;
};

/** Throws on a duplicate section name (a wiring mistake, not a config problem). */
export function assertDistinctSections(sections: readonly AnySection[]): void {
  const seen = new Set<string>();
  for (const s of sections) {
    if (seen.has(s.name)) throw new Error(`config section "${s.name}" defined twice`);
    seen.add(s.name);
  }
}
