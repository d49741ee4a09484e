/**
 * A real HTTP server standing in for a Slack incoming webhook, for the notification tests: it records
 * every POST with the time its body arrived, and can answer 200 `ok`, 500, 429 with Retry-After, or
 * hold the answer of the next post (the request has arrived; the sender waits) until released — the
 * moment a test kills the sending worker "mid-post".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackPost {
  readonly text: string;
  /** When the body had fully arrived (epoch ms). */
  readonly atMs: number;
  readonly status: number;
}

export interface SlackReceiver {
  readonly url: string;
  /** Posts Slack would have shown (answered 200, or held: the message was received). */
  readonly shown: SlackPost[];
  /** Every POST, whatever the answer. */
  readonly all: SlackPost[];
  /** `ok`: 200; `error`: 500; `ratelimit`: 429 with `Retry-After: retryAfterS`. */
  mode: 'ok' | 'error' | 'ratelimit';
  retryAfterS: number;
  /** Holds the answer of the next POST; resolves with its text once its body has arrived. */
  holdNext(): Promise<string>;
  /** Answers the held POST (200), if its connection is still open. */
  release(): void;
  /** Stops listening (connection refused) / listens again on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const shown: SlackPost[] = [];
  const all: SlackPost[] = [];
  let hold: { resolve: (text: string) => void } | undefined;
  let held: http.ServerResponse | undefined;
  const state = { mode: 'ok' as SlackReceiver['mode'], retryAfterS: 1 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let text = '';
      try {
        text = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text ?? '');
      } catch {
        text = `<unparseable> ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`;
      }
      const atMs = Date.now();
      if (hold) {
        const h = hold;
        hold = undefined;
        held = res;
        shown.push({ text, atMs, status: 200 });
        all.push({ text, atMs, status: 200 });
        h.resolve(text);
        return;
      }
      const status = state.mode === 'ok' ? 200 : state.mode === 'error' ? 500 : 429;
      all.push({ text, atMs, status });
      if (status === 200) shown.push({ text, atMs, status });
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (status === 429) headers['retry-after'] = String(state.retryAfterS);
      res.writeHead(status, headers).end(status === 200 ? 'ok' : status === 429 ? 'rate_limited' : 'internal_error');
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/services/T0SPORT/B0CHEERS/whsecsportreceiver`,
    shown,
    all,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get retryAfterS() {
      return state.retryAfterS;
    },
    set retryAfterS(s) {
      state.retryAfterS = s;
    },
    holdNext: () => new Promise<string>((resolve) => (hold = { resolve })),
    release() {
      if (held && !held.writableEnded) held.writeHead(200).end('ok');
      held = undefined;
    },
    stop,
    restart: () => listen(port),
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
