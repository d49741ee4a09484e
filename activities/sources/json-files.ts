/**
 * Readers of JSON landing files: `json` (a top-level array of objects, or an array at a declared dot
 * path such as `data.items`) and `ndjson` (one object per line). They yield every element with its
 * position — the element's 1-based index for `json`, the 1-based line for `ndjson` — and never
 * place rows in time: activities/sources/landing-files.ts does that for every format alike.
 *
 * Errors: a file that is not UTF-8, not JSON, or has no array where one is declared fails
 * non-retryably naming the file and the line (or path); an element that is not an object, or an
 * NDJSON line that is not JSON, is yielded with ROW_ERROR_FIELD set so it is reported with its
 * reason (unplaced or quarantined), never dropped.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { FailureType, nonRetryable } from '../errors';
import { ROW_ERROR_FIELD } from './csv-files';
import type { SourceRecord } from './types';

/** Largest `json` file read (it is parsed whole); larger data should arrive as NDJSON. 256 MiB. */
export const MAX_JSON_FILE_BYTES = 256 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The elements of a `json` file's array (at `jsonPath` when given), in order, each as a record
 * tagged with the file and the element's 1-based index.
 * @throws non-retryable SOURCE_FORMAT naming the file (and line) when the file is too large, not
 *   UTF-8, not JSON, or has no array at the declared path.
 */
export async function* readJsonFile(filePath: string, file: string, jsonPath?: string): AsyncGenerator<SourceRecord> {
  const size = (await stat(filePath)).size;
  if (size > MAX_JSON_FILE_BYTES) {
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: ${size} bytes is more than the ${MAX_JSON_FILE_BYTES} a JSON file may have (write large data as NDJSON, one object per line)`);
  }
  const bytes = await readFile(filePath);
  const text = decode(bytes, file, 1).replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    const line = pos === undefined ? undefined : lineOf(text, Number(pos));
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}${line ? ` line ${line}` : ''}: not valid JSON: ${(err as Error).message}`);
  }
  let at: unknown = doc;
  const walked: string[] = [];
  for (const part of jsonPath ? jsonPath.split('.') : []) {
    walked.push(part);
    at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[part] : undefined;
    if (at === undefined) throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: no ${walked.join('.')} in the document (jsonPath is ${jsonPath})`);
  }
  if (!Array.isArray(at)) {
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: ${jsonPath ? `${jsonPath} is` : 'the document is'} ${describe(at)}, expected an array of objects${jsonPath ? '' : ' (set jsonPath when the array is nested, e.g. data.items)'}`);
  }
  for (let i = 0; i < at.length; i++) yield { sourceFile: file, lineNo: i + 1, record: asRecord(at[i], `element ${i + 1}`) };
}

/**
 * The objects of an `ndjson` file, one per non-blank line, tagged with the file and line number.
 * A line that is not JSON, or not an object, is yielded with ROW_ERROR_FIELD set (reported, not dropped).
 * @throws non-retryable SOURCE_FORMAT naming the file and line at the first byte that is not UTF-8.
 */
export async function* readNdjsonFile(filePath: string, file: string): AsyncGenerator<SourceRecord> {
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  const emit = (buf: Buffer): SourceRecord | undefined => {
    lineNo++;
    const text = decode(buf, file, lineNo).replace(/\r$/, '').replace(/^\uFEFF/, '');
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { sourceFile: file, lineNo, record: { [ROW_ERROR_FIELD]: `line is not valid JSON: ${(err as Error).message}`, line: text.slice(0, 1000) } };
    }
    return { sourceFile: file, lineNo, record: asRecord(value, `line ${lineNo}`) };
  };
  for await (const chunk of createReadStream(filePath) as AsyncIterable<Buffer>) {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      const r = emit(buf.subarray(0, nl));
      if (r) yield r;
      buf = buf.subarray(nl + 1);
    }
    carry = Buffer.from(buf);
  }
  if (carry.length > 0) {
    const r = emit(carry);
    if (r) yield r;
  }
}

function decode(bytes: Uint8Array, file: string, firstLine: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // The line of the first bad byte, for the message: decode line by line until one fails.
    let line = firstLine;
    for (let start = 0; start < bytes.length; line++) {
      let end = bytes.indexOf(0x0a, start);
      if (end === -1) end = bytes.length;
      try {
        utf8.decode(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = end + 1;
    }
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file} line ${line}: not UTF-8 text (re-export the file as UTF-8)`);
  }
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** An element as a record; a non-object becomes a row marked with the reason. */
function asRecord(v: unknown, where: string): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  return { [ROW_ERROR_FIELD]: `${where} is ${describe(v)}, expected an object`, value: v as unknown };
}
