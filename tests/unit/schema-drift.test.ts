/** The pure comparison behind schema drift (activities/schema-drift.ts): what is added, what is refused. */
import { describe, expect, it } from 'vitest';
import { canonicalType, compareTargetShape, type ActualTable } from '../../activities/schema-drift';
import type { SqlType } from '../../core/pipeline';

const table: ActualTable = {
  schema: 'datapulse',
  columns: [
    { name: 'location', type: 'text', notNull: true, hasDefault: false },
    { name: 'day', type: 'date', notNull: true, hasDefault: false },
    { name: 'temp_c', type: 'double precision', notNull: false, hasDefault: false },
    { name: 'at', type: 'timestamp with time zone', notNull: false, hasDefault: false },
    { name: 'dp_partition', type: 'text', notNull: true, hasDefault: false },
    { name: 'dp_loaded_at', type: 'timestamp with time zone', notNull: true, hasDefault: true },
  ],
  primaryKey: ['location', 'day'],
  primaryKeyName: 't_pkey',
};
const target = { table: 't', columns: { location: 'text', day: 'date', temp_c: 'double precision', at: 'timestamptz' }, key: ['location', 'day'] } as const;

describe('compareTargetShape', () => {
  it('finds nothing when the table fits (timestamptz spelled either way)', () => {
    expect(canonicalType('timestamptz')).toBe('timestamp with time zone');
    expect(compareTargetShape(target, table)).toEqual({ additive: [], conflicts: [] });
  });

  it('adds a new non-key column, and ignores a nullable column the definition dropped', () => {
    const columns: Record<string, SqlType> = { ...target.columns, note: 'text' };
    delete columns.temp_c;
    const drift = compareTargetShape({ ...target, columns }, table);
    expect(drift).toEqual({ additive: [{ column: 'note', type: 'text' }], conflicts: [] });
  });

  it('refuses key, type and nullability changes with old, new and the SQL', () => {
    const drift = compareTargetShape({ ...target, columns: { ...target.columns, temp_c: 'numeric' }, key: ['location', 'day', 'temp_c'] }, table);
    expect(drift.additive).toEqual([]);
    expect(drift.conflicts.map((c) => c.message)).toEqual([
      'primary key is (location, day) in the table, (location, day, temp_c) in the definition (target.key)',
      'column temp_c is double precision in the table, numeric in the definition',
      'column temp_c is nullable in the table, NOT NULL in the definition (key column)',
    ]);
    expect(drift.conflicts[0]?.fix).toBe('ALTER TABLE "datapulse"."t" DROP CONSTRAINT "t_pkey", ADD PRIMARY KEY ("location", "day", "temp_c");');
    expect(drift.conflicts[1]?.fix).toBe('ALTER TABLE "datapulse"."t" ALTER COLUMN "temp_c" TYPE numeric USING "temp_c"::numeric;');
  });

  it('refuses a NOT NULL column the definition no longer fills, and a table DataPulse did not create', () => {
    const extra = { ...table, columns: [...table.columns.filter((c) => c.name !== 'dp_partition'), { name: 'Old Col', type: 'text', notNull: true, hasDefault: false }] };
    const messages = compareTargetShape(target, extra).conflicts.map((c) => c.fix);
    expect(messages).toContain('ALTER TABLE "datapulse"."t" ALTER COLUMN "Old Col" DROP NOT NULL;');
    expect(messages).toContain('DROP TABLE "datapulse"."t";');
  });
});
