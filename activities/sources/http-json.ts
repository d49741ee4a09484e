/** Reads an `http-json` source: the declared requests for one window, with a clear failure taxonomy. */
import type { HttpJsonSource, PartitionWindowLike, Params, SourceRecord } from './types';
import { SourceFormatError } from '../../core/pipeline';
import { FailureType, nonRetryable, parseRetryAfter, retryable } from '../errors';
import { findUnstorable } from './storable';

export interface HttpReadContext {
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  readonly heartbeat: (details?: unknown) => void;
}

function snippet(text: string): string {
  const s = text.slice(0, 120).replace(/\s+/g, ' ');
  return text.length > 120 ? `${s}…` : s;
}

export async function* readHttpJson(
  src: HttpJsonSource,
  window: PartitionWindowLike,
  params: Params,
  ctx: HttpReadContext,
): AsyncGenerator<SourceRecord> {
  const base = ctx.env[src.baseUrlEnv] || src.defaultBaseUrl;
  let baseUrl: URL;
  try {
    baseUrl = new URL(base);
  } catch {
    throw nonRetryable(FailureType.CONFIG, `${src.baseUrlEnv} is not a valid URL`);
  }
  const timeoutMs = src.timeoutMs ?? 15_000;
  for (const req of src.requests(window, params)) {
    const url = new URL(req.path.replace(/^\//, ''), baseUrl.href.endsWith('/') ? baseUrl : new URL(`${baseUrl.href}/`));
    for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v);
    let res: Response;
    let text: string;
    try {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
      res = await fetch(url, { signal, headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (err) {
      if (ctx.signal.aborted) throw err; // cancelled: let the SDK report the cancellation
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no complete answer within ${timeoutMs} ms` : `request failed (${e.message})`;
      throw retryable(FailureType.SOURCE_UNAVAILABLE, `${req.label}: ${why}`);
    }
    ctx.heartbeat({ request: req.label });
    if (res.status === 429) {
      const delay = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      throw retryable(FailureType.SOURCE_RATE_LIMITED, `${req.label}: HTTP 429 rate limited${delay !== undefined ? `, retry after ${delay} ms` : ''}`, {
        nextRetryDelayMs: delay,
      });
    }
    if (res.status >= 500) throw retryable(FailureType.SOURCE_UNAVAILABLE, `${req.label}: HTTP ${res.status}: ${snippet(text)}`);
    if (res.status >= 400) {
      throw nonRetryable(FailureType.SOURCE_REJECTED, `${req.label}: HTTP ${res.status}, the source rejected the request: ${snippet(text)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw nonRetryable(
        FailureType.SOURCE_FORMAT,
        `${req.label}: response is not valid JSON (${(err as Error).message}); body starts with: ${snippet(text)}`,
      );
    }
    let records: readonly Record<string, unknown>[];
    try {
      records = src.records(body, req, window);
    } catch (err) {
      if (err instanceof SourceFormatError) throw nonRetryable(FailureType.SOURCE_FORMAT, err.message);
      throw err;
    }
    if (records.length === 0 && !src.allowEmpty) {
      throw nonRetryable(
        FailureType.SOURCE_FORMAT,
        `${req.label}: the source answered (HTTP ${res.status}) but with no record for ${window.key}; an empty answer for a window the source covers is not a success (allowEmpty: true if it can be)`,
      );
    }
    let lineNo = 0;
    for (const record of records) {
      lineNo++;
      // PostgreSQL cannot store NUL or lone surrogates: fail at once, naming request, record and
      // field, instead of letting the raw insert fail and be retried.
      const bad = findUnstorable(record);
      if (bad) {
        throw nonRetryable(
          FailureType.SOURCE_FORMAT,
          `${req.label}: record ${lineNo}, field ${bad.field}: ${bad.reason}, which PostgreSQL cannot store; the source must send valid text`,
        );
      }
      yield { sourceFile: req.label, lineNo, record };
    }
  }
}
