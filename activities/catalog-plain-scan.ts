/**
 * The catalog's scan of a plain CSV file (no quote character, UTF-8, LF or CRLF line ends) on its
 * bytes: the time column's field of each line is read where it lies, parsed only when it differs
 * from the line before's (a day's file repeats one date), and each partition's checksum is fed
 * with whole runs of its lines at once — instead of decoding, splitting and JSON-encoding every
 * record (activities/catalog.ts, `scanFile`, which this replaces for such files only).
 *
 * It gives up (returns undefined, and the general scan reads the file, wording any error) at the
 * first thing it does not handle: a quote, NUL, invalid UTF-8, a lone CR, a header without the
 * required or time column (or naming a column twice), a line whose field count is not the header's,
 * or a time value that does not place the row in a partition. Per partition it records the same
 * facts as the general scan (rows, first line, first byte of a sorted file); its checksum covers
 * each run of consecutive lines of a partition as (first line number, bytes), so it changes exactly
 * when the partition's lines or their positions change. A file read here one day and by the
 * general scan another (a quote added) gets different checksums: its partitions count as changed.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { keyForTime, keyToStartMs } from '../core/partition';
import type { CsvFilesSource, PipelineDefinition } from '../core/pipeline';
import { parseTimeValue } from './sources/csv-files';

/** What a plain scan found (the successful shape of catalog.ts's ScanResult). */
export interface PlainScan {
  readonly rows: number;
  readonly firstMs: number | undefined;
  readonly lastMs: number | undefined;
  readonly sorted: boolean;
  readonly partitions: Map<string, { rows: number; sha256: string; firstLine: number | undefined; firstByte: number | undefined }>;
  /** Byte where the first record after the header starts (sorted files). */
  readonly headerEnd: number | undefined;
}

class GiveUp extends Error {}

/**
 * Scans `full` as a plain CSV file of `src`, or returns undefined when it cannot (see the module
 * comment). Never throws for the file's content; I/O errors are thrown.
 */
export async function scanPlainCsv(def: PipelineDefinition, src: CsvFilesSource, full: string, heartbeat?: (d?: unknown) => void): Promise<PlainScan | undefined> {
  if (src.timeColumn === undefined || (src.format ?? 'csv') !== 'csv') return undefined;
  const delimiter = (src.delimiter ?? ',').charCodeAt(0);
  if ((src.delimiter ?? ',').length !== 1 || delimiter > 0x7f) return undefined;
  const firstStart = keyToStartMs(def.partitioning.granularity, def.partitioning.start);
  const opts = { format: src.timeFormat, zone: src.timeZone };
  const parts = new Map<string, { rows: number; h: Hash; firstLine: number; firstByte: number }>();
  let timeIndex = -1;
  let fields = 0;
  let line = 0; // line number of the line being read
  let pos = 0; // file offset of the chunk being read
  let rows = 0;
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  let prevMs = -Infinity;
  let sorted = true;
  let headerEnd: number | undefined;
  let prevTime = Buffer.alloc(0);
  let prevKey = '';
  let carry: Buffer = Buffer.alloc(0);
  // The run of consecutive lines of one partition not hashed yet: [runStart, runEnd) of the current buffer.
  let run: { key: string; start: number; end: number } | undefined;

  const header = (b: Buffer, start: number, end: number) => {
    let s = start;
    if (b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf) s += 3;
    const names = b.toString('utf8', s, end).split(String.fromCharCode(delimiter)).map((h) => h.trim());
    if (new Set(names).size !== names.length || src.requiredColumns.some((c) => !names.includes(c))) throw new GiveUp();
    timeIndex = names.indexOf(src.timeColumn!);
    if (timeIndex < 0) throw new GiveUp();
    fields = names.length;
  };

  const flushRun = (b: Buffer) => {
    if (!run) return;
    parts.get(run.key)!.h.update(b.subarray(run.start, run.end));
    run = undefined;
  };

  /** Reads the complete lines of `b` (which ends just past an LF); `base` is b[0]'s file offset. */
  const lines = (b: Buffer, base: number) => {
    let at = 0;
    while (at < b.length) {
      const lf = b.indexOf(0x0a, at);
      line++;
      let end = lf;
      if (end > at && b[end - 1] === 0x0d) end--;
      if (end === at) {
        // A blank line: skipped by the CSV readers (it belongs to no partition's run).
        flushRun(b);
        at = lf + 1;
        continue;
      }
      if (timeIndex < 0) {
        header(b, at, end);
        at = lf + 1;
        continue;
      }
      let f = 0;
      let ts = -1;
      let te = -1;
      let s = at;
      for (let i = b.indexOf(delimiter, at); ; i = b.indexOf(delimiter, i + 1)) {
        const e = i === -1 || i > end ? end : i;
        if (f === timeIndex) {
          ts = s;
          te = e;
        }
        f++;
        if (e === end) break;
        s = e + 1;
      }
      if (f !== fields) throw new GiveUp();
      const time = b.subarray(ts, te);
      let key = prevKey;
      if (!time.equals(prevTime)) {
        const t = parseTimeValue(time.toString('utf8'), opts);
        if (t === undefined || t < firstStart) throw new GiveUp();
        if (t < prevMs) sorted = false;
        prevMs = t;
        if (firstMs === undefined || t < firstMs) firstMs = t;
        if (lastMs === undefined || t > lastMs) lastMs = t;
        key = keyForTime(def.partitioning.granularity, t);
        prevTime = Buffer.from(time);
        prevKey = key;
      }
      rows++;
      headerEnd ??= base + at;
      let p = parts.get(key);
      if (!p) parts.set(key, (p = { rows: 0, h: createHash('sha256'), firstLine: line, firstByte: base + at }));
      p.rows++;
      if (run && run.key === key && run.end === at) run.end = lf + 1;
      else {
        flushRun(b);
        p.h.update(`${line}\n`);
        run = { key, start: at, end: lf + 1 };
      }
      at = lf + 1;
    }
    flushRun(b);
  };

  try {
    for await (const chunk of createReadStream(full, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      if (chunk.includes(0x22) || chunk.includes(0)) throw new GiveUp();
      const b = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const last = b.lastIndexOf(0x0a);
      const complete = b.subarray(0, last + 1);
      // Line ends are ASCII: complete lines never split a multi-byte character.
      if (!isUtf8(complete)) throw new GiveUp();
      for (let at = complete.indexOf(0x0d); at !== -1; at = complete.indexOf(0x0d, at + 1)) if (complete[at + 1] !== 0x0a) throw new GiveUp();
      const base = pos - carry.length;
      lines(complete, base);
      carry = Buffer.from(b.subarray(last + 1));
      pos += chunk.length;
      heartbeat?.({ file: full, scanned: pos });
    }
    if (carry.length > 0) {
      if (!isUtf8(carry) || carry.includes(0x0d)) throw new GiveUp();
      lines(Buffer.concat([carry, Buffer.from([0x0a])]), pos - carry.length);
    }
  } catch (err) {
    if (err instanceof GiveUp) return undefined;
    throw err;
  }
  if (timeIndex < 0) return undefined;
  return {
    rows,
    firstMs,
    lastMs,
    sorted,
    headerEnd: sorted ? headerEnd : undefined,
    partitions: new Map(
      [...parts].map(([k, p]) => [k, { rows: p.rows, sha256: p.h.digest('hex'), firstLine: sorted ? p.firstLine : undefined, firstByte: sorted ? p.firstByte : undefined }]),
    ),
  };
}
