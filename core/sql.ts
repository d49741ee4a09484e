/**
 * SQL identifier safety. Every identifier that reaches SQL text goes through `ident()`: validated
 * against a strict pattern and double-quoted. Values never go into SQL text; they are bound.
 */

const IDENT_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Thrown when a pipeline, table, column or schema name is not a safe identifier. */
export class InvalidIdentifierError extends Error {
  override readonly name = 'InvalidIdentifierError';
  constructor(readonly identifier: string, readonly what: string) {
    super(`invalid ${what} name ${JSON.stringify(identifier)}: use lower-case letters, digits and _ (max 63, not starting with a digit)`);
  }
}

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || !IDENT_RE.test(name)) throw new InvalidIdentifierError(String(name), what);
  return name;
}

/** Validated, double-quoted identifier. */
export function ident(name: string, what?: string): string {
  return `"${assertIdentifier(name, what)}"`;
}

/** `"schema"."table"` */
export function qualified(schema: string, table: string): string {
  return `${ident(schema, 'schema')}.${ident(table, 'table')}`;
}
