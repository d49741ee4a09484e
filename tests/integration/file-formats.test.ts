/**
 * JSON (array at a declared path), NDJSON and Excel landing files through real partitions, with the
 * same guarantees as CSV: rows placed by their time column, positions (element, line, Excel row)
 * kept in quarantine and unplaced rows, nested fields and non-identifier column names reachable by
 * the schema, bad files failing naming the file, nothing dropped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { daily, definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { createHarness, type Harness } from './harness';

const profiles = definePipeline({
  name: 'fmt_profiles',
  description: 'freelancer profiles as a JSON document with the array at data.items',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  source: { kind: 'csv-files', format: 'json', jsonPath: 'data.items', timeColumn: 'meta.updated', requiredColumns: [] },
  schema: z.object({
    id: z.string(),
    profile: z.object({ name: z.string().min(1), skills: z.array(z.string()) }),
    'Day Rate €': z.string().regex(/^\d+(\.\d+)?$/),
    meta: z.object({ updated: z.string() }),
  }),
  transform: (r) => ({ id: r.id, name: r.profile.name, skills: r.profile.skills.join('|'), day_rate: r['Day Rate €'] }),
  target: { table: 'fmt_profiles', columns: { id: 'text', name: 'text', skills: 'text', day_rate: 'numeric' }, key: ['id'] },
});

const events = definePipeline({
  name: 'fmt_events',
  description: 'activity events, one JSON object per line',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  source: { kind: 'csv-files', format: 'ndjson', timeColumn: 'ts', requiredColumns: [] },
  schema: z.object({ user: z.string().min(1), action: z.enum(['login', 'logout']), ts: z.string() }),
  transform: (r) => ({ user_id: r.user, action: r.action, at: r.ts }),
  target: { table: 'fmt_events', columns: { user_id: 'text', action: 'text', at: 'timestamptz' }, key: ['user_id', 'at'] },
});

const hr = definePipeline({
  name: 'fmt_hr',
  description: 'an HR extract as an Excel workbook',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  source: { kind: 'csv-files', format: 'xlsx', sheet: 'Export', headerRow: 2, timeColumn: 'Hire Date', requiredColumns: ['Employee ID', 'Hire Date', 'Cost Total $'] },
  schema: z.object({
    'Employee ID': z.string(),
    'Hire Date': z.string(),
    'Cost Total $': z.number(),
    Department: z.string().nullable(),
  }),
  transform: (r) => ({ employee_id: r['Employee ID'], hired: r['Hire Date'], cost_total: r['Cost Total $'], department: r.Department }),
  target: { table: 'fmt_hr', columns: { employee_id: 'text', hired: 'date', cost_total: 'numeric', department: 'text' }, key: ['employee_id'] },
});

const incidents = definePipeline({
  name: 'fmt_incidents',
  description: 'an incident log without a natural key, keyed by source position',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'Reported At', requiredColumns: ['Reported At', 'Kind', 'Unit'] },
  schema: z.object({ 'Reported At': z.string(), Kind: z.enum(['fire', 'flood']), Unit: z.string() }),
  transform: (r) => ({ reported_at: r['Reported At'], kind: r.Kind, unit: r.Unit === '' ? null : r.Unit }),
  target: { table: 'fmt_incidents', columns: { reported_at: 'timestamptz', kind: 'text', unit: 'text' }, key: [], rowKey: 'source-position' },
});
const events2 = definePipeline({ ...incidents, name: 'fmt_nokey', target: { ...incidents.target, table: 'fmt_nokey', rowKey: 'none' } });

let h: Harness;
const folderOf = (name: string) => path.join(h.landingDir, name);

beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([profiles, events, hr, incidents, events2]) });
  for (const p of [profiles, events, hr, incidents, events2]) mkdirSync(folderOf(p.name), { recursive: true });
});

afterAll(async () => {
  await h?.close();
});

describe('JSON, NDJSON and xlsx landing files', () => {
  it('json: the array at data.items, nested fields and a non-identifier name reach the schema; a non-object element is reported with its index', async () => {
    const doc = {
      data: {
        items: [
          { id: 'f1', profile: { name: 'Ada', skills: ['ts', 'sql'] }, 'Day Rate €': '650.50', meta: { updated: '2024-01-05T10:00:00Z' } },
          { id: 'f2', profile: { name: '', skills: [] }, 'Day Rate €': '500', meta: { updated: '2024-01-05T11:00:00Z' } },
          42,
          { id: 'f3', profile: { name: 'Linus', skills: ['c'] }, 'Day Rate €': '700', meta: { updated: '2024-01-06T09:00:00Z' } },
        ],
      },
    };
    writeFileSync(path.join(folderOf(profiles.name), 'profiles.json'), JSON.stringify(doc, null, 2));
    expect(await h.run(profiles.name, '2024-01-05')).toMatchObject({ rowsIn: 2, rowsValid: 1, rowsQuarantined: 1, rowsLoaded: 1 });
    const { rows } = await h.pool.query('SELECT id, name, skills, day_rate::text FROM fmt_profiles ORDER BY id');
    expect(rows).toEqual([{ id: 'f1', name: 'Ada', skills: 'ts|sql', day_rate: '650.50' }]);
    const q = await h.pool.query('SELECT source_file, line_no, field FROM quarantine WHERE pipeline = $1', [profiles.name]);
    expect(q.rows).toEqual([{ source_file: 'profiles.json', line_no: 2, field: 'profile.name' }]);
    const u = await h.pool.query('SELECT line_no, reason FROM unplaced_records WHERE pipeline = $1', [profiles.name]);
    expect(u.rows).toEqual([{ line_no: 3, reason: 'element 3 is a number, expected an object' }]);
  });

  it('json: a document without the declared array fails naming the file and the path', async () => {
    writeFileSync(path.join(folderOf(profiles.name), 'profiles.json'), JSON.stringify({ data: { rows: [] } }));
    const err = await h.run(profiles.name, '2024-01-06').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain('profiles.json: no data.items in the document');
  });

  it('ndjson: one object per line, line numbers kept through blank and broken lines', async () => {
    const lines = [
      '{"user":"u1","action":"login","ts":"2024-02-01T08:00:00Z"}',
      '',
      '{"user":"u1","action":"logout","ts":"2024-02-01T17:30:00Z"}',
      '{"user":"u2","action":"jump","ts":"2024-02-01T09:00:00Z"}',
      '{"user":"u3", broken',
      '{"user":"u2","action":"login","ts":"2024-02-02T09:00:00Z"}',
    ];
    writeFileSync(path.join(folderOf(events.name), 'events.ndjson'), lines.join('\r\n') + '\n');
    expect(await h.run(events.name, '2024-02-01')).toMatchObject({ rowsIn: 3, rowsValid: 2, rowsQuarantined: 1, rowsLoaded: 2, unplaced: 1 });
    const q = await h.pool.query('SELECT line_no, field FROM quarantine WHERE pipeline = $1', [events.name]);
    expect(q.rows).toEqual([{ line_no: 4, field: 'action' }]);
    const u = await h.pool.query('SELECT line_no, reason FROM unplaced_records WHERE pipeline = $1', [events.name]);
    expect(u.rows).toHaveLength(1);
    expect(u.rows[0]).toMatchObject({ line_no: 5 });
    expect(u.rows[0]?.reason).toContain('line is not valid JSON');
    expect(await h.run(events.name, '2024-02-02')).toMatchObject({ rowsIn: 1, rowsLoaded: 1 });
  });

  it('xlsx: sheet by name, header on row 2, dates as dates, formulas as cached values, merged and empty rows handled', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Notes').getCell('A1').value = 'not this sheet';
    const ws = wb.addWorksheet('Export');
    ws.getCell('A1').value = 'HR extract, January';
    ws.getRow(2).values = ['Employee ID', 'Hire Date', 'Cost Total $', 'Department'];
    ws.getRow(3).values = ['E1', new Date(Date.UTC(2024, 2, 1)), { formula: '1000+234.5', result: 1234.5 }, 'Sales'];
    ws.getRow(4).values = ['E2', new Date(Date.UTC(2024, 2, 1)), 900, null];
    ws.mergeCells('D3:D4'); // Sales for both
    // Row 5 empty.
    ws.getRow(6).values = ['E3', new Date(Date.UTC(2024, 2, 2)), 'n/a', 'Ops'];
    ws.getRow(7).values = ['E4', 'someday', 5, 'Ops'];
    await wb.xlsx.writeFile(path.join(folderOf(hr.name), 'hr.xlsx'));
    expect(await h.run(hr.name, '2024-03-01')).toMatchObject({ rowsIn: 2, rowsValid: 2, rowsLoaded: 2, unplaced: 1 });
    const { rows } = await h.pool.query(`SELECT employee_id, to_char(hired, 'YYYY-MM-DD') AS hired, cost_total::text, department FROM fmt_hr ORDER BY 1`);
    expect(rows).toEqual([
      { employee_id: 'E1', hired: '2024-03-01', cost_total: '1234.5', department: 'Sales' },
      { employee_id: 'E2', hired: '2024-03-01', cost_total: '900', department: 'Sales' },
    ]);
    expect(await h.run(hr.name, '2024-03-02')).toMatchObject({ rowsIn: 1, rowsQuarantined: 1, rowsLoaded: 0 });
    const q = await h.pool.query('SELECT source_file, line_no, field FROM quarantine WHERE pipeline = $1', [hr.name]);
    expect(q.rows).toEqual([{ source_file: 'hr.xlsx', line_no: 6, field: 'Cost Total $' }]);
    const u = await h.pool.query('SELECT line_no FROM unplaced_records WHERE pipeline = $1', [hr.name]);
    expect(u.rows).toEqual([{ line_no: 7 }]);
  });

  it('no natural key: rows keyed by file and line (or not at all) all load, twins included; one bad row in a sparse day is quarantined, not a failed day', async () => {
    const body = ['Reported At,Kind,Unit', '2024-04-01T10:00:00Z,fire,', '2024-04-01T10:00:00Z,fire,', '2024-04-01T11:00:00Z,flood,U7', '2024-04-02T09:00:00Z,earthquake,U1'].join('\n') + '\n';
    for (const p of [incidents, events2]) writeFileSync(path.join(folderOf(p.name), 'log.csv'), body);
    expect(await h.run(incidents.name, '2024-04-01')).toMatchObject({ rowsIn: 3, rowsLoaded: 3, rowsDeduplicated: 0 });
    const { rows } = await h.pool.query('SELECT dp_source_file, dp_line_no, kind, unit FROM fmt_incidents ORDER BY dp_line_no');
    expect(rows).toEqual([
      { dp_source_file: 'log.csv', dp_line_no: 2, kind: 'fire', unit: null },
      { dp_source_file: 'log.csv', dp_line_no: 3, kind: 'fire', unit: null },
      { dp_source_file: 'log.csv', dp_line_no: 4, kind: 'flood', unit: 'U7' },
    ]);
    // Re-run: the same rows, replaced, not doubled.
    expect(await h.run(incidents.name, '2024-04-01')).toMatchObject({ rowsLoaded: 3 });
    expect((await h.pool.query('SELECT count(*)::int AS n FROM fmt_incidents')).rows[0]?.n).toBe(3);
    expect(await h.run(events2.name, '2024-04-01')).toMatchObject({ rowsIn: 3, rowsLoaded: 3, rowsDeduplicated: 0 });
    // 2024-04-02 has one row and it is bad: quarantined (1 rejected < minRejectedRows 2), the day succeeds.
    expect(await h.run(incidents.name, '2024-04-02')).toMatchObject({ rowsIn: 1, rowsQuarantined: 1, rowsLoaded: 0 });
  });

  it('xlsx: a missing sheet fails naming the file and the sheets it has', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').getCell('A1').value = 'x';
    await wb.xlsx.writeFile(path.join(folderOf(hr.name), 'other.xlsx'));
    const err = await h.run(hr.name, '2024-03-03').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain('other.xlsx: no worksheet "Export" (sheets: "Sheet1")');
  });
});
