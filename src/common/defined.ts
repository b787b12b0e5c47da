// Building objects whose optional keys must be absent, not present and
// undefined: documents written as YAML, objects whose keys are enumerated,
// and option objects handed to Node or ssh2 that check `'key' in options` or
// assign over their defaults. Everywhere else a present undefined reads like an
// absent key and the object is written directly. No imports: loading this
// costs nothing at start-up.

/** T with every key that may hold undefined made optional and never undefined. */
export type WithoutUndefined<T> = Flat<{ [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> }>;

type Flat<T> = { [K in keyof T]: T[K] };

/** A copy of a plain object without its undefined-valued keys (own enumerable string keys only). */
export function withoutUndefined<T extends object>(value: T): WithoutUndefined<T> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) out[key] = entry;
  }
  return out as WithoutUndefined<T>;
}
