/**
 * Front-end assets, served by the console itself (no CDN: consoles run offline): the project's own
 * scripts and styles from console/assets/, and ECharts' browser build from node_modules.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const ASSETS_DIR = path.join(__dirname, '..', 'assets');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The files served under /assets/ (an allow-list: nothing else on disk is reachable). */
export const ASSET_FILES: Readonly<Record<string, string>> = {
  'echarts.min.js': require.resolve('echarts/dist/echarts.min.js'),
  'style.css': path.join(ASSETS_DIR, 'style.css'),
  'map.js': path.join(ASSETS_DIR, 'map.js'),
  'graph.js': path.join(ASSETS_DIR, 'graph.js'),
  'dashboard.js': path.join(ASSETS_DIR, 'dashboard.js'),
  'backfills.js': path.join(ASSETS_DIR, 'backfills.js'),
};

const texts = new Map<string, string>();

/** The text of a listed asset (read once), for pages that inline it. */
export function assetText(name: keyof typeof ASSET_FILES | string): string {
  let t = texts.get(name);
  if (t === undefined) texts.set(name, (t = readFileSync(ASSET_FILES[name] ?? '', 'utf8')));
  return t;
}

/** Asset routes as one Fastify plugin (files read once, kept in memory). */
export const assetRoutes: FastifyPluginAsync = async (app) => {
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    { schema: { params: { type: 'object', required: ['file'], properties: { file: { type: 'string', enum: Object.keys(ASSET_FILES) } } } } },
    async (req, reply) => {
      const file = ASSET_FILES[req.params.file] ?? '';
      let body = cache.get(file);
      if (!body) cache.set(file, (body = readFileSync(file)));
      return reply.type(TYPES[path.extname(file)] ?? 'application/octet-stream').header('cache-control', 'public, max-age=300').send(body);
    },
  );
};
