/**
 * Reads a `csv-files` source: every matching file in the pipeline's landing folder, streamed, keeping
 * the rows whose time column falls in the partition window. Rows that no partition can own (their
 * time is missing or unreadable) are reported through `onUnplaced`, never dropped silently.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import type { CsvFilesSource, PartitionWindowLike, SourceRecord } from './types';
import { FailureType, nonRetryable } from '../errors';

export interface CsvReadContext {
  readonly folder: string;
  readonly heartbeat: (details?: unknown) => void;
  readonly onUnplaced: (row: { sourceFile: string; lineNo: number; record: Record<string, unknown>; reason: string }) => void;
}

/** Marker field set on a row whose field count does not match the header; validation quarantines it. */
export const ROW_ERROR_FIELD = '__dp_row_error';

const TIME_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of an ISO date or date-time (UTC unless an offset is given); undefined if not ISO. */
export function parseTimeValue(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TIME_RE.exec(value.trim());
  if (!m) return undefined;
  const iso = m[2] ? `${m[1]}T${m[2]}${m[3] ?? 'Z'}` : `${m[1]}T00:00:00Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Reject dates that roll over (2024-02-30).
  if (!new Date(Date.parse(`${m[1]}T00:00:00Z`)).toISOString().startsWith(m[1] as string)) return undefined;
  return ms;
}

export async function listSourceFiles(src: CsvFilesSource, folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw nonRetryable(FailureType.CONFIG, `landing folder ${folder} does not exist (set LANDING_DIR or drop files there)`);
    }
    throw err;
  }
  const pattern = src.filePattern ?? /\.csv$/i;
  const files: string[] = [];
  for (const n of names.sort()) {
    if (!pattern.test(n)) continue;
    if ((await stat(path.join(folder, n))).isFile()) files.push(n);
  }
  return files;
}

export async function* readCsvFiles(src: CsvFilesSource, window: PartitionWindowLike, ctx: CsvReadContext): AsyncGenerator<SourceRecord> {
  const files = await listSourceFiles(src, ctx.folder);
  for (const file of files) {
    yield* readOneFile(src, window, ctx, file);
    ctx.heartbeat({ file });
  }
}

async function* readOneFile(src: CsvFilesSource, window: PartitionWindowLike, ctx: CsvReadContext, file: string): AsyncGenerator<SourceRecord> {
  let header: string[] | undefined;
  const parser = createReadStream(path.join(ctx.folder, file)).pipe(
    parse({
      bom: true,
      delimiter: src.delimiter ?? ',',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
      max_record_size: 16 * 1024 * 1024,
    }),
  );
  let scanned = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      const { record: fields, info, raw } = item;
      if (!header) {
        header = fields.map((h) => h.trim());
        const missing = src.requiredColumns.filter((c) => !header!.includes(c));
        if (missing.length > 0) {
          throw nonRetryable(
            FailureType.SOURCE_FORMAT,
            `${file} line 1: missing column(s) ${missing.join(', ')}; header is ${JSON.stringify(header.join(src.delimiter ?? ','))}` +
              (header.length === 1 && /[;\t|]/.test(header[0] ?? '') ? ` (delimiter is "${src.delimiter ?? ','}": is the file using another one?)` : ''),
          );
        }
        continue;
      }
      // info.lines is where the record ends; a quoted field may span lines, so count back to its start.
      const lineNo = info.lines - (raw.replace(/^(?:\r?\n)+/, '').replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
      const record: Record<string, unknown> = {};
      header.forEach((h, i) => (record[h] = fields[i] ?? null));
      if (fields.length !== header.length) record[ROW_ERROR_FIELD] = `expected ${header.length} fields, found ${fields.length}`;
      const t = parseTimeValue(record[src.timeColumn]);
      if (t === undefined) {
        ctx.onUnplaced({
          sourceFile: file,
          lineNo,
          record,
          reason: `${src.timeColumn}: ${JSON.stringify(String(record[src.timeColumn] ?? '')).slice(0, 80)} is not an ISO date (YYYY-MM-DD[THH:MM[:SS]][Z])`,
        });
        continue;
      }
      if (t >= window.startMs && t < window.endMs) yield { sourceFile: file, lineNo, record };
      if (++scanned % 50_000 === 0) ctx.heartbeat({ file, scanned });
    }
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('CSV_')) {
      const line = (err as { lines?: number }).lines;
      throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}${line ? ` line ${line}` : ''}: unreadable CSV: ${err.message}`);
    }
    throw err;
  }
  if (!header) throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: empty file, expected a header with ${src.requiredColumns.join(', ')}`);
}
