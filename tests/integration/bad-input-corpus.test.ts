/**
 * Runs the bad-input corpus (tests/fixtures/bad-input/, outcomes in expected.json) through a real
 * worker: each file alone in a fresh landing folder of a CSV pipeline with the city_weather columns,
 * one daily partition per file. Each must end as a clear, non-retried failure or as exactly the
 * expected loaded / quarantined / deduplicated / unplaced rows — with the ledger adding up, nothing
 * dropped silently, and the worker still serving a good partition afterwards.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { cityWeather } from '../../pipelines/city-weather';
import { intermediateName } from '../../activities/intermediates';
import { createHarness, intermediateTables, type Harness } from './harness';

const CORPUS_DIR = path.join(__dirname, '..', 'fixtures', 'bad-input');
const COLUMNS = 'location,date,precipitation,temp_max,temp_min,wind,weather';

interface Counts {
  in: number;
  valid: number;
  quarantined: number;
  loaded: number;
  deduplicated: number;
  unplaced: number;
}
interface QuarantineExpectation {
  line: number;
  field: string | null;
  /** Substring of the stored reason. */
  reason: string;
  /** Exact raw value stored, when given. */
  rawValue?: string;
  /** Length of the stored raw value, when given (huge values are cut). */
  rawValueLength?: number;
}
interface Base {
  why: string;
  partition: string;
  generated?: { kind: 'huge-field'; field: string; bytes: number };
}
type Expectation =
  | (Base & { outcome: 'failed'; step: string; failureType: string; message: string; quarantine?: QuarantineExpectation[] })
  | (Base & {
      outcome: 'loaded';
      counts: Counts;
      quarantine: QuarantineExpectation[];
      unplaced: { line: number; reason: string }[];
      rows?: Record<string, unknown>[];
    });

const manifest = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'expected.json'), 'utf8')) as { files: Record<string, Expectation> };
const entries = Object.entries(manifest.files);

// The city_weather source, schema and transform under other names, so the corpus's workflow ids
// (bad_input_csv/2012-01-xx) and tables meet no other test. Checks added to city_weather later do
// not change the corpus's expectations: only these fields are copied.
const corpus = definePipeline({
  name: 'bad_input_csv',
  description: 'city_weather columns, fed the bad-input corpus',
  version: 1,
  partitioning: cityWeather.partitioning,
  params: {},
  source: cityWeather.source,
  schema: cityWeather.schema,
  transform: cityWeather.transform,
  target: { ...cityWeather.target, table: 'bad_input_daily' },
});
/** A clean pipeline run after every corpus file: the worker is still up and still loads. */
const control = definePipeline({ ...corpus, name: 'bad_input_control', target: { ...cityWeather.target, table: 'bad_input_control_daily' } });

let h: Harness;
let generatedDir: string;
const corpusFolder = () => path.join(h.landingDir, corpus.name);

beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([corpus, control]) });
  generatedDir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-bad-input-'));
  const controlFolder = path.join(h.landingDir, control.name);
  mkdirSync(controlFolder, { recursive: true });
  const days = entries.map((_, i) => controlDay(i));
  writeFileSync(
    path.join(controlFolder, 'good.csv'),
    [COLUMNS, ...days.flatMap((d) => [`Seattle,${d},1.0,10.0,5.0,3.0,rain`, `New York,${d},0.0,8.0,1.0,4.0,sun`])].join('\n') + '\n',
  );
});

afterAll(async () => {
  await h?.close();
  if (generatedDir) rmSync(generatedDir, { recursive: true, force: true });
});

/** 2012-03-01, 2012-03-02, ...: one control partition per corpus file. */
function controlDay(i: number): string {
  return new Date(Date.UTC(2012, 2, 1 + i)).toISOString().slice(0, 10);
}

/** Writes a generated corpus file: a valid row, the row with the huge field (line 3), a valid row. */
function generate(name: string, g: NonNullable<Base['generated']>, partition: string): string {
  const file = path.join(generatedDir, name);
  const values: Record<string, string> = { location: 'New York', date: partition, precipitation: '0.0', temp_max: '10.0', temp_min: '5.0', wind: '3.0', weather: 'rain' };
  values[g.field] = 'x'.repeat(g.bytes);
  const huge = COLUMNS.split(',').map((c) => values[c]).join(',');
  writeFileSync(file, [COLUMNS, `Seattle,${partition},1.0,10.0,5.0,3.0,rain`, huge, `Boston,${partition},2.0,9.0,4.0,2.0,sun`].join('\n') + '\n');
  return file;
}

/** Leaves exactly one file, `name`, in the corpus pipeline's landing folder. */
function dropAlone(name: string, e: Expectation): void {
  const folder = corpusFolder();
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const source = e.generated ? generate(name, e.generated, e.partition) : path.join(CORPUS_DIR, name);
  copyFileSync(source, path.join(folder, name));
  expect(readdirSync(folder)).toEqual([name]);
}

async function maxAttempt(workflowId: string): Promise<number> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return Math.max(0, ...(history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0));
}

async function count(sql: string, params: unknown[]): Promise<number> {
  return Number((await h.pool.query<{ n: string }>(sql, params)).rows[0]?.n);
}

async function quarantineOf(partition: string) {
  const { rows } = await h.pool.query<{ source_file: string; line_no: number; field: string | null; reason: string; raw_value: string | null }>(
    'SELECT source_file, line_no, field, reason, raw_value FROM quarantine WHERE pipeline = $1 AND partition_key = $2 ORDER BY line_no',
    [corpus.name, partition],
  );
  return rows;
}

function expectQuarantine(actual: Awaited<ReturnType<typeof quarantineOf>>, expected: QuarantineExpectation[], file: string): void {
  expect(actual.map((q) => [q.source_file, q.line_no, q.field])).toEqual(expected.map((q) => [file, q.line, q.field]));
  expected.forEach((q, i) => {
    const got = actual[i]!;
    expect(got.reason).toContain(q.reason);
    if (q.rawValue !== undefined) expect(got.raw_value).toBe(q.rawValue);
    if (q.rawValueLength !== undefined) expect(got.raw_value?.length).toBe(q.rawValueLength);
  });
}

describe('bad-input corpus', () => {
  it('has at least 20 files, each with an expected outcome, and nothing unlisted', () => {
    const onDisk = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.csv'));
    const committed = entries.filter(([, e]) => !e.generated).map(([name]) => name);
    expect(entries.length).toBeGreaterThanOrEqual(20);
    expect(onDisk.sort()).toEqual(committed.sort());
    expect(new Set(entries.map(([, e]) => e.partition)).size).toBe(entries.length);
  });

  it.each(entries.map(([name, e], i) => [name, e, i] as const))('%s', async (name, e, i) => {
    dropAlone(name, e);
    const workflowId = `${corpus.name}/${e.partition}`;
    const outcome = await h
      .run(corpus.name, e.partition)
      .then((summary) => ({ summary }))
      .catch((err: unknown) => ({ err }));
    const { rows: ledgerRows } = await h.pool.query('SELECT * FROM ledger WHERE pipeline = $1 AND partition_key = $2', [corpus.name, e.partition]);
    const ledger = ledgerRows[0];
    const targetRows = await count(`SELECT count(*) AS n FROM bad_input_daily WHERE dp_partition = $1`, [e.partition]).catch(() => 0);
    const { rows: unplaced } = await h.pool.query<{ line_no: number; reason: string }>(
      'SELECT line_no, reason FROM unplaced_records WHERE pipeline = $1 AND source_file = $2 ORDER BY line_no',
      [corpus.name, name],
    );
    // Bad input is never worth a retry: every step ran once.
    expect(await maxAttempt(workflowId)).toBe(1);

    if (e.outcome === 'failed') {
      expect('err' in outcome, `${name} should have failed`).toBe(true);
      const err = (outcome as { err: unknown }).err;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const msg = (err as WorkflowFailedError).cause?.message ?? '';
      expect(msg).toContain(`${workflowId} failed in ${e.step}: `);
      expect(msg).toContain(e.message);
      expect(ledger).toMatchObject({ status: 'failed', failed_step: e.step, error_type: e.failureType });
      expect(ledger.error).toContain(e.message);
      // Nothing of the file reached the target; a failed ingest leaves no raw rows either.
      expect(targetRows).toBe(0);
      if (e.step === 'ingest') {
        expect(await intermediateTables(h.pool)).not.toContain(intermediateName('raw', corpus.name, e.partition));
        expect(unplaced).toEqual([]);
      }
      expectQuarantine(await quarantineOf(e.partition), e.quarantine ?? [], name);
    } else {
      expect('summary' in outcome, `${name} should have loaded: ${String((outcome as { err?: WorkflowFailedError }).err?.cause?.message ?? '')}`).toBe(true);
      const summary = (outcome as { summary: Awaited<ReturnType<Harness['run']>> }).summary;
      const c = e.counts;
      expect(summary).toMatchObject({
        rowsIn: c.in,
        rowsValid: c.valid,
        rowsQuarantined: c.quarantined,
        rowsLoaded: c.loaded,
        rowsDeduplicated: c.deduplicated,
        unplaced: c.unplaced,
      });
      expect(ledger).toMatchObject({
        status: 'succeeded',
        rows_in: c.in,
        rows_valid: c.valid,
        rows_quarantined: c.quarantined,
        rows_loaded: c.loaded,
        rows_deduplicated: c.deduplicated,
        error: null,
      });
      // Nothing lost: every row read is loaded, quarantined or counted as a duplicate.
      expect(c.loaded + c.quarantined + c.deduplicated).toBe(c.in);
      expect(targetRows).toBe(c.loaded);
      // Loaded: its intermediate rows are gone, the ledger keeps the counts.
      expect(await intermediateTables(h.pool)).not.toContain(intermediateName('raw', corpus.name, e.partition));
      expectQuarantine(await quarantineOf(e.partition), e.quarantine, name);
      expect(unplaced.map((u) => u.line_no)).toEqual(e.unplaced.map((u) => u.line));
      e.unplaced.forEach((u, k) => expect(unplaced[k]?.reason).toContain(u.reason));
      if (e.rows) {
        const cols = Object.keys(e.rows[0] ?? {});
        const { rows } = await h.pool.query(`SELECT * FROM bad_input_daily WHERE dp_partition = $1 ORDER BY location COLLATE "C"`, [e.partition]);
        const picked = rows.map((r: Record<string, unknown>) => Object.fromEntries(cols.map((k) => [k, r[k]])));
        expect(picked).toEqual([...e.rows].sort((a, b) => (String(a.location) < String(b.location) ? -1 : 1)));
      }
    }

    // The worker is still up and still loads a good partition.
    const ok = await h.run(control.name, controlDay(i));
    expect(ok).toMatchObject({ rowsIn: 2, rowsLoaded: 2, rowsQuarantined: 0 });
  });

  it('left every table in place and no partition running', async () => {
    const { rows } = await h.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [h.schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['bad_input_control_daily', 'bad_input_daily', 'ledger', 'quarantine', 'unplaced_records']),
    );
    expect(await count(`SELECT count(*) AS n FROM ledger WHERE status = 'running'`, [])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ledger WHERE pipeline = $1 AND status = 'succeeded'`, [control.name])).toBe(entries.length);
  });
});
