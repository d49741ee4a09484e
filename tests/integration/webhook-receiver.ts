/**
 * A real HTTP server standing in for Slack's incoming webhook endpoint: it records every POST
 * (path and JSON body) and answers 200 `ok` — or 500, or nothing at all when stopped, so tests can
 * prove that an alert which cannot be delivered never fails a pipeline.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  readonly path: string;
  readonly body: { text?: string; [k: string]: unknown };
  /** Status this server answered. */
  readonly status: number;
}

export interface WebhookReceiver {
  /** Looks like a Slack webhook URL; the last path segment is the secret. */
  readonly url: string;
  readonly secret: string;
  readonly posts: ReceivedPost[];
  /** `ok`: 200 "ok" (Slack's answer); `error`: 500. */
  mode: 'ok' | 'error';
  clear(): void;
  /** Stops listening: the URL becomes unreachable (connection refused). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secret = `whsec${randomBytes(12).toString('hex')}`;
  const posts: ReceivedPost[] = [];
  const r = { mode: 'ok' as 'ok' | 'error' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: ReceivedPost['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedPost['body'];
      } catch {
        body = { unparseable: Buffer.concat(chunks).toString('utf8') };
      }
      const status = r.mode === 'ok' ? 200 : 500;
      if (req.method === 'POST') posts.push({ path: req.url ?? '', body, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'internal_error');
    });
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
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
    url: `http://127.0.0.1:${port}/services/T0DATAPULSE/B0ALERTS/${secret}`,
    secret,
    posts,
    get mode() {
      return r.mode;
    },
    set mode(m) {
      r.mode = m;
    },
    clear: () => void posts.splice(0),
    stop,
    restart: () => listen(port),
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
