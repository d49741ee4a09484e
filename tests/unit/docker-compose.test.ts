/**
 * Static checks of the deployed stack: docker-compose.yml, the configs it
 * mounts from deploy/, the Dockerfile and .dockerignore.
 *
 * No Docker engine is needed: the files are parsed and checked for the things
 * `docker compose up` would otherwise only reveal at run time (a dependency on
 * a service without a healthcheck, a missing bind-mounted file, an unpinned
 * image, a collector pipeline naming an undefined exporter, ...).
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { registry } from '../../pipelines';

const ROOT = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------- helpers ---

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readRepoFile(rel: string): string {
  return readFileSync(path.join(ROOT, rel), 'utf8');
}

/** Parses YAML strictly: syntax errors and duplicate keys fail; `<<` merge keys resolve as compose does. */
function loadYaml(rel: string): Obj {
  const doc = parseDocument(readRepoFile(rel), { merge: true, uniqueKeys: true });
  expect(doc.errors.map((e) => e.message), `${rel} must be valid YAML`).toEqual([]);
  const js: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isObj(js)) throw new Error(`${rel}: top level must be a mapping`);
  return js;
}

/**
 * Compose variable interpolation: `$$` -> `$`, `${VAR:-def}`, `${VAR-def}`,
 * `${VAR:+alt}`, `${VAR:?err}`, `${VAR}`, `$VAR`, resolved against `env`
 * (empty by default, i.e. "nothing exported", which yields the defaults).
 */
function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  return value.replace(re, (match, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const v = env[name];
    const set = v !== undefined;
    const nonEmpty = set && v !== '';
    switch (op) {
      case undefined:
        return v ?? '';
      case ':-':
        return nonEmpty ? (v as string) : (arg ?? '');
      case '-':
        return set ? (v as string) : (arg ?? '');
      case ':+':
        return nonEmpty ? (arg ?? '') : '';
      case '+':
        return set ? (arg ?? '') : '';
      case ':?':
      case '?':
        if (op === ':?' ? !nonEmpty : !set) throw new Error(`required variable ${name}: ${arg ?? ''}`);
        return v as string;
      default:
        throw new Error(`unsupported interpolation ${match}`);
    }
  });
}

/** True when the whole value is one `${VAR...}` reference (no literal around it). */
function isPureInterpolation(value: string): boolean {
  return /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\}$/.test(value);
}

const COMPOSE_FILE = 'docker-compose.yml';
const compose = loadYaml(COMPOSE_FILE);
const services: Record<string, Obj> = (() => {
  const s = compose['services'];
  if (!isObj(s)) throw new Error('docker-compose.yml has no services mapping');
  const out: Record<string, Obj> = {};
  for (const [name, def] of Object.entries(s)) {
    if (!isObj(def)) throw new Error(`service ${name} is not a mapping`);
    out[name] = def;
  }
  return out;
})();
const declaredVolumes = isObj(compose['volumes']) ? Object.keys(compose['volumes']) : [];

function service(name: string): Obj {
  const s = services[name];
  if (!s) throw new Error(`service ${name} is missing from docker-compose.yml`);
  return s;
}

/** `environment` in list (`K=V`) or map form, values as raw (uninterpolated) strings. */
function envOf(name: string): Record<string, string> {
  const env = service(name)['environment'];
  const out: Record<string, string> = {};
  if (env === undefined || env === null) return out;
  if (Array.isArray(env)) {
    for (const item of env) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq === -1) out[s] = '';
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (isObj(env)) {
    for (const [k, v] of Object.entries(env)) out[k] = v === null ? '' : String(v);
  } else {
    throw new Error(`service ${name}: environment must be a list or a mapping`);
  }
  return out;
}

/** `depends_on` in list or map form; the list form means `service_started`. */
function dependsOn(name: string): Record<string, string> {
  const deps = service(name)['depends_on'];
  const out: Record<string, string> = {};
  if (deps === undefined || deps === null) return out;
  if (Array.isArray(deps)) {
    for (const d of deps) out[String(d)] = 'service_started';
  } else if (isObj(deps)) {
    for (const [k, v] of Object.entries(deps)) {
      out[k] = isObj(v) && typeof v['condition'] === 'string' ? v['condition'] : 'service_started';
    }
  }
  return out;
}

interface PortMapping {
  published: string | undefined;
  target: string;
}

/** `ports` in short (`[ip:]host:container[/proto]`) or long syntax. */
function portsOf(name: string): PortMapping[] {
  const ports = service(name)['ports'];
  if (!Array.isArray(ports)) return [];
  return ports.map((p): PortMapping => {
    if (isObj(p)) {
      return {
        published: p['published'] === undefined || p['published'] === null ? undefined : String(p['published']),
        target: String(p['target']),
      };
    }
    const spec = interpolate(String(p)).replace(/\/(tcp|udp)$/, '');
    const parts = spec.split(':');
    const target = parts[parts.length - 1] as string;
    const published = parts.length >= 2 ? parts[parts.length - 2] : undefined;
    return { published, target };
  });
}

interface Mount {
  type: 'bind' | 'volume';
  source: string | undefined;
  target: string;
}

/** `volumes` in short (`src:dst[:mode]`) or long syntax. */
function mountsOf(name: string): Mount[] {
  const vols = service(name)['volumes'];
  if (!Array.isArray(vols)) return [];
  return vols.map((v): Mount => {
    if (isObj(v)) {
      const type = v['type'] === 'bind' ? 'bind' : 'volume';
      return { type, source: v['source'] === undefined ? undefined : String(v['source']), target: String(v['target']) };
    }
    const parts = interpolate(String(v)).split(':');
    if (parts.length === 1) return { type: 'volume', source: undefined, target: parts[0] as string };
    const source = parts[0] as string;
    const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return { type: isPath ? 'bind' : 'volume', source, target: parts[1] as string };
  });
}

function hasHealthcheck(name: string): boolean {
  const hc = service(name)['healthcheck'];
  if (!isObj(hc) || hc['disable'] === true) return false;
  const test = hc['test'];
  if (Array.isArray(test)) return test.length > 1 && test[0] !== 'NONE';
  return typeof test === 'string' && test.trim() !== '';
}

function healthcheckText(name: string): string {
  const hc = service(name)['healthcheck'];
  if (!isObj(hc)) return '';
  const test = hc['test'];
  return Array.isArray(test) ? test.map(String).join(' ') : String(test ?? '');
}

function commandText(name: string, key: 'command' | 'entrypoint' = 'command'): string {
  const c = service(name)[key];
  return Array.isArray(c) ? c.map(String).join(' ') : String(c ?? '');
}

function imageOf(name: string): string | undefined {
  const img = service(name)['image'];
  return typeof img === 'string' ? interpolate(img) : undefined;
}

/** Splits `registry/repo:tag@digest` into repository, tag and digest. */
function splitImage(ref: string): { repo: string; tag: string | undefined; digest: string | undefined } {
  const [nameTag, digest] = ref.split('@') as [string, string | undefined];
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  if (colon > slash) return { repo: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1), digest };
  return { repo: nameTag, tag: undefined, digest };
}

// --------------------------------------------------------- expectations ---

const REQUIRED_SERVICES = [
  'postgres',
  'temporal-db',
  'temporal',
  'temporal-setup',
  'temporal-ui',
  'otel-collector',
  'jaeger',
  'prometheus',
  'worker',
  'schedules',
];

/** Repository each third-party service must run (tags are checked separately). */
const EXPECTED_REPOS: Record<string, string> = {
  postgres: 'postgres',
  'temporal-db': 'postgres',
  temporal: 'temporalio/auto-setup',
  'temporal-setup': 'temporalio/admin-tools',
  'temporal-ui': 'temporalio/ui',
  'otel-collector': 'otel/opentelemetry-collector-contrib',
  jaeger: 'jaegertracing/all-in-one',
  prometheus: 'prom/prometheus',
};

/** Services whose readiness others must wait on with `service_healthy`. */
const HEALTH_GATED = ['postgres', 'temporal-db', 'temporal'];
/** Run-once services: others wait on them with `service_completed_successfully`. */
const ONE_SHOTS = ['temporal-setup', 'schedules'];

const EXPECTED_DEPENDENCIES: Record<string, Record<string, string>> = {
  temporal: { 'temporal-db': 'service_healthy' },
  'temporal-setup': { temporal: 'service_healthy' },
  worker: {
    postgres: 'service_healthy',
    temporal: 'service_healthy',
    'temporal-setup': 'service_completed_successfully',
    'otel-collector': 'service_started',
  },
  schedules: { worker: 'service_healthy' },
};

/** What the worker needs, with the value it must resolve to when nothing is exported. */
const WORKER_ENV: Record<string, string> = {
  DATABASE_URL: 'postgres://datapulse:datapulse@postgres:5432/datapulse',
  TEMPORAL_ADDRESS: 'temporal:7233',
  TEMPORAL_NAMESPACE: 'default',
  DATAPULSE_TASK_QUEUE: 'datapulse',
  DATAPULSE_SCHEMA: 'datapulse',
  METRICS_PORT: '9464',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
  OTEL_SERVICE_NAME: 'datapulse-worker',
  LOG_LEVEL: 'info',
  WEATHER_API_URL: 'https://api.open-meteo.com',
  LANDING_DIR: '/data/landing',
  SLACK_WEBHOOK_URL: '',
};

/** Variables that must be overridable from the host environment / .env. */
const WORKER_ENV_FROM_HOST = ['WEATHER_API_URL', 'SLACK_WEBHOOK_URL'];

const SECRET_KEY = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|WEBHOOK/i;

// ------------------------------------------------------------------ tests ---

describe('docker-compose.yml: services and images', () => {
  it('defines every service of the deployed stack', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(REQUIRED_SERVICES));
  });

  it('gives every service an image or a build context', () => {
    for (const [name, def] of Object.entries(services)) {
      expect(def['image'] !== undefined || def['build'] !== undefined, `${name} has neither image nor build`).toBe(
        true,
      );
    }
  });

  it('pins every image to an explicit tag that is not latest', () => {
    for (const name of Object.keys(services)) {
      const img = imageOf(name);
      if (img === undefined) continue; // build-only service, checked above
      const { repo, tag, digest } = splitImage(img);
      expect(repo, `${name}: empty image name in "${img}"`).not.toBe('');
      if (digest !== undefined) {
        expect(digest, `${name}: bad digest`).toMatch(/^sha256:[0-9a-f]{64}$/);
      }
      expect(tag, `${name}: image "${img}" has no tag`).toBeTruthy();
      expect(tag, `${name}: image "${img}" uses latest`).not.toMatch(/^latest$/i);
      expect(tag, `${name}: image "${img}" has an empty tag after interpolation`).toMatch(/^[\w][\w.-]*$/);
    }
  });

  it('runs the expected third-party images', () => {
    for (const [name, repo] of Object.entries(EXPECTED_REPOS)) {
      const img = imageOf(name);
      expect(img, `${name} has no image`).toBeDefined();
      expect(splitImage(img as string).repo, name).toBe(repo);
    }
    expect(splitImage(imageOf('postgres') as string).tag).toMatch(/^16(\b|[.-])/);
    expect(splitImage(imageOf('temporal-db') as string).tag).toMatch(/^16(\b|[.-])/);
  });

  it('keeps the Temporal admin tools on the server version', () => {
    const server = splitImage(imageOf('temporal') as string).tag as string;
    const tools = splitImage(imageOf('temporal-setup') as string).tag as string;
    expect(server).toMatch(/^\d+\.\d+\.\d+$/);
    expect(tools.startsWith(server), `admin-tools ${tools} vs server ${server}`).toBe(true);
  });

  it('builds worker and schedules from this repository', () => {
    for (const name of ['worker', 'schedules']) {
      const build = service(name)['build'];
      const context = isObj(build) ? build['context'] : build;
      expect(context, `${name} build context`).toBe('.');
    }
    // Both use one image, so the stack builds (and tags) it once.
    expect(imageOf('schedules')).toBe(imageOf('worker'));
  });
});

describe('docker-compose.yml: start order and healthchecks', () => {
  it('only depends on services that exist', () => {
    for (const name of Object.keys(services)) {
      for (const target of Object.keys(dependsOn(name))) {
        expect(Object.keys(services), `${name} depends on unknown service ${target}`).toContain(target);
      }
    }
  });

  it('uses the expected conditions', () => {
    for (const [name, expected] of Object.entries(EXPECTED_DEPENDENCIES)) {
      expect(dependsOn(name), name).toMatchObject(expected);
    }
  });

  it('waits for databases and Temporal to be healthy and for one-shots to complete', () => {
    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        if (HEALTH_GATED.includes(target)) {
          expect(condition, `${name} -> ${target}`).toBe('service_healthy');
        }
        if (ONE_SHOTS.includes(target)) {
          expect(condition, `${name} -> ${target}`).toBe('service_completed_successfully');
        }
      }
    }
  });

  it('gives every service_healthy target a healthcheck', () => {
    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        if (condition !== 'service_healthy') continue;
        expect(hasHealthcheck(target), `${name} waits for ${target} to be healthy, but it has no healthcheck`).toBe(
          true,
        );
      }
    }
  });

  it('has no dependency cycle', () => {
    const state: Record<string, 'visiting' | 'done'> = {};
    const visit = (name: string, trail: string[]): void => {
      if (state[name] === 'done') return;
      if (state[name] === 'visiting') throw new Error(`dependency cycle: ${[...trail, name].join(' -> ')}`);
      state[name] = 'visiting';
      for (const dep of Object.keys(dependsOn(name))) visit(dep, [...trail, name]);
      state[name] = 'done';
    };
    for (const name of Object.keys(services)) expect(() => visit(name, [])).not.toThrow();
  });

  it('checks readiness with the right probes', () => {
    expect(healthcheckText('postgres')).toContain('pg_isready');
    expect(healthcheckText('temporal-db')).toContain('pg_isready');
    expect(healthcheckText('temporal')).toMatch(/temporal operator cluster health|tctl (cluster|cl) h/);
    const worker = healthcheckText('worker');
    expect(worker).toContain('fetch(');
    expect(worker).toContain(`localhost:${WORKER_ENV.METRICS_PORT}/metrics`);
  });

  it('runs one-shots once', () => {
    for (const name of ONE_SHOTS) {
      expect(service(name)['restart'], `${name} restart policy`).toBe('no');
    }
  });
});

describe('docker-compose.yml: ports, volumes and scaling', () => {
  const publishes = (name: string, host: string, container: string): boolean =>
    portsOf(name).some((p) => p.published === host && p.target === container);

  it('publishes the UIs and endpoints on the documented host ports', () => {
    expect(publishes('temporal', '7233', '7233'), 'temporal 7233').toBe(true);
    expect(publishes('temporal-ui', '8233', '8080'), 'temporal-ui 8233:8080').toBe(true);
    expect(publishes('jaeger', '16686', '16686'), 'jaeger 16686').toBe(true);
    expect(publishes('prometheus', '9090', '9090'), 'prometheus 9090').toBe(true);
    expect(publishes('otel-collector', '4317', '4317'), 'collector OTLP gRPC').toBe(true);
    expect(publishes('otel-collector', '4318', '4318'), 'collector OTLP HTTP').toBe(true);
  });

  it('never publishes one host port twice', () => {
    const seen = new Map<string, string>();
    for (const name of Object.keys(services)) {
      for (const p of portsOf(name)) {
        if (p.published === undefined) continue;
        expect(seen.get(p.published), `host port ${p.published} used by ${name} and ${seen.get(p.published)}`).toBe(
          undefined,
        );
        seen.set(p.published, name);
      }
    }
  });

  it('lets the worker scale with --scale (no container_name, host port or fixed replicas)', () => {
    const worker = service('worker');
    expect(worker['container_name']).toBeUndefined();
    expect(portsOf('worker').filter((p) => p.published !== undefined)).toEqual([]);
    const deploy = worker['deploy'];
    expect(isObj(deploy) ? deploy['replicas'] : undefined).toBeUndefined();
  });

  it('declares every named volume it mounts, and mounts every volume it declares', () => {
    const used = new Set<string>();
    for (const name of Object.keys(services)) {
      for (const m of mountsOf(name)) {
        if (m.type !== 'volume' || m.source === undefined) continue;
        expect(declaredVolumes, `${name} mounts undeclared volume ${m.source}`).toContain(m.source);
        used.add(m.source);
      }
    }
    expect([...used].sort()).toEqual([...declaredVolumes].sort());
  });

  it('persists each database in its own named volume', () => {
    const dataVolume = (name: string): string | undefined =>
      mountsOf(name).find((m) => m.type === 'volume' && m.target === '/var/lib/postgresql/data')?.source;
    expect(dataVolume('postgres')).toBe('pgdata');
    expect(dataVolume('temporal-db')).toBeDefined();
    expect(dataVolume('temporal-db')).not.toBe(dataVolume('postgres'));
  });

  it('mounts the landing volume where the worker writes', () => {
    const landing = mountsOf('worker').find((m) => m.target === interpolate(envOf('worker')['LANDING_DIR'] ?? ''));
    expect(landing?.type).toBe('volume');
    expect(landing?.source).toBe('landing');
  });

  it('bind-mounts only files that exist in the repository', () => {
    let binds = 0;
    for (const name of Object.keys(services)) {
      for (const m of mountsOf(name)) {
        if (m.type !== 'bind') continue;
        binds++;
        const src = m.source as string;
        expect(src.startsWith('./'), `${name}: bind source ${src} should be relative to the repo`).toBe(true);
        expect(existsSync(path.join(ROOT, src)), `${name}: ${src} does not exist`).toBe(true);
      }
    }
    expect(binds).toBeGreaterThanOrEqual(3);
  });

  const bindTarget = (name: string, source: string): string | undefined =>
    mountsOf(name).find((m) => m.type === 'bind' && path.normalize(m.source ?? '') === path.normalize(source))
      ?.target;

  it('wires the mounted configs to the paths the services read', () => {
    // Temporal resolves DYNAMIC_CONFIG_FILE_PATH relative to /etc/temporal.
    const dyn = interpolate(envOf('temporal')['DYNAMIC_CONFIG_FILE_PATH'] ?? '');
    expect(dyn, 'DYNAMIC_CONFIG_FILE_PATH').not.toBe('');
    expect(bindTarget('temporal', './deploy/temporal/dynamicconfig.yaml')).toBe(path.posix.resolve('/etc/temporal', dyn));

    const promTarget = bindTarget('prometheus', './deploy/prometheus.yml');
    expect(promTarget).toBeDefined();
    const promFlag = /--config\.file=(\S+)/.exec(commandText('prometheus'));
    expect(promFlag?.[1] ?? '/etc/prometheus/prometheus.yml').toBe(promTarget);

    const colTarget = bindTarget('otel-collector', './deploy/otel-collector.yaml');
    expect(colTarget).toBeDefined();
    const colFlag = /--config[= ](?:file:)?(\S+)/.exec(commandText('otel-collector'));
    expect(colFlag?.[1] ?? '/etc/otelcol-contrib/config.yaml').toBe(colTarget);
  });
});

describe('docker-compose.yml: worker environment and secrets', () => {
  it('gives the worker every variable it needs, resolving to the documented defaults', () => {
    const env = envOf('worker');
    expect(Object.keys(env)).toEqual(expect.arrayContaining(Object.keys(WORKER_ENV)));
    for (const [key, expected] of Object.entries(WORKER_ENV)) {
      expect(interpolate(env[key] as string), key).toBe(expected);
    }
  });

  it('takes deployment-specific settings from the host environment', () => {
    const env = envOf('worker');
    for (const key of WORKER_ENV_FROM_HOST) {
      expect(env[key], key).toMatch(new RegExp(`^\\$\\{${key}(:?-[^}]*)?\\}$`));
    }
    expect(interpolate(env['WEATHER_API_URL'] as string, { WEATHER_API_URL: 'http://mock:8080' })).toBe(
      'http://mock:8080',
    );
  });

  it('connects the worker to the postgres service with its user, database and password variable', () => {
    const url = new URL(interpolate(envOf('worker')['DATABASE_URL'] as string, { POSTGRES_PASSWORD: 's3cret' }));
    const pg = envOf('postgres');
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(interpolate(pg['POSTGRES_USER'] as string));
    expect(url.pathname).toBe(`/${interpolate(pg['POSTGRES_DB'] as string)}`);
    expect(url.password, 'DATABASE_URL must take the password from POSTGRES_PASSWORD').toBe('s3cret');
    expect(interpolate(pg['POSTGRES_PASSWORD'] as string, { POSTGRES_PASSWORD: 's3cret' })).toBe('s3cret');
    expect(interpolate(pg['POSTGRES_DB'] as string)).toBe('datapulse');
  });

  it('points the worker at hosts that are services of the stack', () => {
    const env = envOf('worker');
    const host = (v: string): string => v.replace(/^\w+:\/\//, '').split(/[/:@]/)[0] as string;
    expect(Object.keys(services)).toContain(host(interpolate(env['TEMPORAL_ADDRESS'] as string)));
    expect(Object.keys(services)).toContain(new URL(interpolate(env['OTEL_EXPORTER_OTLP_ENDPOINT'] as string)).hostname);
  });

  it('keeps passwords and tokens out of the file (only ${...} interpolation)', () => {
    for (const name of Object.keys(services)) {
      for (const [key, raw] of Object.entries(envOf(name))) {
        if (SECRET_KEY.test(key) && raw !== '') {
          expect(isPureInterpolation(raw), `${name}.${key} holds a literal value: ${raw}`).toBe(true);
        }
        // Credentials embedded in a URL: the password part must be interpolated too.
        const userinfo = /:\/\/[^/@\s:]+:([^@\s]*)@/.exec(raw);
        if (userinfo) {
          expect(isPureInterpolation(userinfo[1] as string), `${name}.${key} embeds a literal password`).toBe(true);
        }
      }
    }
  });

  it('gives the schedules one-shot the worker environment without the metrics port', () => {
    const worker = envOf('worker');
    const schedules = envOf('schedules');
    expect(schedules['METRICS_PORT']).toBeUndefined();
    for (const [key, value] of Object.entries(worker)) {
      if (key === 'METRICS_PORT' || key === 'OTEL_SERVICE_NAME') continue;
      expect(schedules[key], `schedules.${key}`).toBe(value);
    }
  });

  it('runs the worker and applies schedules through the CLI launcher', () => {
    expect(commandText('worker')).toBe('node bin/datapulse.cjs worker');
    expect(commandText('schedules')).toBe('node bin/datapulse.cjs schedule apply');
    expect(existsSync(path.join(ROOT, 'bin', 'datapulse.cjs'))).toBe(true);
  });
});

describe('docker-compose.yml: Temporal setup', () => {
  it('points Temporal at its own postgres', () => {
    const env = envOf('temporal');
    expect(env['DB']).toBe('postgres12');
    expect(env['POSTGRES_SEEDS']).toBe('temporal-db');
    expect(interpolate(env['POSTGRES_USER'] as string)).toBe(interpolate(envOf('temporal-db')['POSTGRES_USER'] as string));
    const tdbPassword = envOf('temporal-db')['POSTGRES_PASSWORD'] as string;
    expect(interpolate(env['POSTGRES_PWD'] as string, { TEMPORAL_DB_PASSWORD: 'x' })).toBe(
      interpolate(tdbPassword, { TEMPORAL_DB_PASSWORD: 'x' }),
    );
  });

  it('registers the DataPulse search attributes as Keyword in the default namespace, tolerating re-runs', () => {
    const script = interpolate(`${commandText('temporal-setup', 'entrypoint')} ${commandText('temporal-setup')}`);
    expect(script).toContain('temporal operator search-attribute create');
    expect(script).toContain('temporal:7233');
    expect(script).toMatch(/already exists/);
    expect(script).toMatch(/--type\s+Keyword/);
    expect(script).not.toMatch(/--type\s+(?!Keyword)\w+/);
    for (const sa of ['DataPulsePipeline', 'DataPulsePartition']) expect(script).toContain(sa);
    const ns = envOf('temporal-setup')['TEMPORAL_NAMESPACE'];
    expect(script.includes('--namespace default') || ns === 'default', 'namespace default').toBe(true);
    expect(service('temporal-setup')['entrypoint'], 'admin-tools sleeps forever unless the entrypoint is replaced')
      .toBeDefined();
  });

  it('points the Temporal UI at the server', () => {
    expect(envOf('temporal-ui')['TEMPORAL_ADDRESS']).toBe('temporal:7233');
    expect(envOf('jaeger')['COLLECTOR_OTLP_ENABLED']).toBe('true');
  });
});

describe('deploy/ configs', () => {
  it('prometheus scrapes the worker metrics on worker:9464', () => {
    const prom = loadYaml('deploy/prometheus.yml');
    const jobs = prom['scrape_configs'];
    expect(Array.isArray(jobs)).toBe(true);
    const scrapesWorker = (jobs as Json[]).some((job) => {
      if (!isObj(job)) return false;
      const statics = Array.isArray(job['static_configs']) ? job['static_configs'] : [];
      const staticHit = statics.some(
        (sc) => isObj(sc) && Array.isArray(sc['targets']) && sc['targets'].includes('worker:9464'),
      );
      const dns = Array.isArray(job['dns_sd_configs']) ? job['dns_sd_configs'] : [];
      // DNS discovery finds every `--scale`d replica; an A lookup needs the port.
      const dnsHit = dns.some(
        (d) =>
          isObj(d) &&
          Array.isArray(d['names']) &&
          d['names'].includes('worker') &&
          (d['type'] === 'A' || d['type'] === 'AAAA') &&
          Number(d['port']) === 9464,
      );
      const metricsPath = job['metrics_path'] ?? '/metrics';
      return (staticHit || dnsHit) && metricsPath === '/metrics';
    });
    expect(scrapesWorker, 'no scrape job targets worker:9464/metrics').toBe(true);
    const names = (jobs as Json[]).map((j) => (isObj(j) ? j['job_name'] : undefined));
    expect(new Set(names).size, 'job_name values must be unique').toBe(names.length);
  });

  it('the collector receives OTLP on 4317/4318 and exports traces to jaeger', () => {
    const col = loadYaml('deploy/otel-collector.yaml');
    const section = (key: string): Obj => (isObj(col[key]) ? (col[key] as Obj) : {});
    const receivers = section('receivers');
    const processors = section('processors');
    const exporters = section('exporters');
    const extensions = section('extensions');
    const svc = section('service');

    const otlp = Object.entries(receivers).find(([k]) => k === 'otlp' || k.startsWith('otlp/'));
    expect(otlp, 'no otlp receiver').toBeDefined();
    const protocols = isObj(otlp?.[1]) ? (otlp[1] as Obj)['protocols'] : undefined;
    expect(isObj(protocols) && 'grpc' in protocols && 'http' in protocols, 'otlp needs grpc and http').toBe(true);
    const endpoint = (proto: string): string => {
      const p = isObj(protocols) ? protocols[proto] : undefined;
      return isObj(p) && typeof p['endpoint'] === 'string' ? p['endpoint'] : '';
    };
    // Since collector 0.104 the default endpoint is localhost: unreachable from other containers.
    expect(endpoint('grpc')).toMatch(/^0\.0\.0\.0:4317$/);
    expect(endpoint('http')).toMatch(/^0\.0\.0\.0:4318$/);

    const pipelines = isObj(svc['pipelines']) ? svc['pipelines'] : {};
    const list = (p: Obj, key: string): string[] => (Array.isArray(p[key]) ? p[key].map(String) : []);
    let tracesToJaeger = false;
    for (const [pname, p] of Object.entries(pipelines)) {
      expect(isObj(p), `pipeline ${pname}`).toBe(true);
      const pipe = p as Obj;
      // The collector refuses to start when a pipeline names an undefined component.
      for (const r of list(pipe, 'receivers')) expect(Object.keys(receivers), `${pname} receiver`).toContain(r);
      for (const r of list(pipe, 'processors')) expect(Object.keys(processors), `${pname} processor`).toContain(r);
      for (const r of list(pipe, 'exporters')) expect(Object.keys(exporters), `${pname} exporter`).toContain(r);
      if (!(pname === 'traces' || pname.startsWith('traces/'))) continue;
      const fromOtlp = list(pipe, 'receivers').some((r) => r === 'otlp' || r.startsWith('otlp/'));
      const batched = list(pipe, 'processors').some((r) => r === 'batch' || r.startsWith('batch/'));
      const toJaeger = list(pipe, 'exporters').some((e) => {
        const cfg = exporters[e];
        const ep = isObj(cfg) && typeof cfg['endpoint'] === 'string' ? cfg['endpoint'] : '';
        const insecure = isObj(cfg) && isObj(cfg['tls']) && cfg['tls']['insecure'] === true;
        return (e === 'otlp' || e.startsWith('otlp/')) && /^(https?:\/\/)?jaeger:4317$/.test(ep) && insecure;
      });
      if (fromOtlp && batched && toJaeger) tracesToJaeger = true;
    }
    expect(tracesToJaeger, 'no traces pipeline otlp -> batch -> otlp exporter at jaeger:4317 (insecure)').toBe(true);
    for (const ext of Array.isArray(svc['extensions']) ? svc['extensions'].map(String) : []) {
      expect(Object.keys(extensions), `extension ${ext}`).toContain(ext);
    }
  });

  it('the Temporal dynamic config is a map of {value, constraints} lists', () => {
    const dyn = loadYaml('deploy/temporal/dynamicconfig.yaml');
    expect(Object.keys(dyn).length).toBeGreaterThan(0);
    for (const [key, entries] of Object.entries(dyn)) {
      expect(key, 'dynamic config keys are dotted names').toMatch(/^[a-zA-Z]+(\.[a-zA-Z0-9]+)+$/);
      expect(Array.isArray(entries), `${key} must be a list`).toBe(true);
      for (const entry of entries as Json[]) {
        expect(isObj(entry) && 'value' in entry, `${key} entries need a value`).toBe(true);
        const constraints = isObj(entry) ? entry['constraints'] : undefined;
        expect(constraints === undefined || isObj(constraints), `${key} constraints must be a map`).toBe(true);
      }
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  /** Instructions with line continuations joined and comments dropped. */
  const instructions: { op: string; args: string }[] = (() => {
    const logical: string[] = [];
    let current = '';
    for (const line of readRepoFile('Dockerfile').split(/\r?\n/)) {
      const trimmed = line.trim();
      if (current === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
      if (current !== '' && trimmed.startsWith('#')) continue; // comment inside a continuation
      if (trimmed.endsWith('\\')) {
        current += `${trimmed.slice(0, -1)} `;
        continue;
      }
      logical.push(current + trimmed);
      current = '';
    }
    if (current !== '') logical.push(current);
    return logical.map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
      return { op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() };
    });
  })();
  const all = (op: string): string[] => instructions.filter((i) => i.op === op).map((i) => i.args);
  const lastIndex = (pred: (i: { op: string; args: string }) => boolean): number =>
    instructions.map(pred).lastIndexOf(true);

  it('builds on node:20-bookworm-slim', () => {
    const froms = all('FROM');
    expect(froms.length).toBeGreaterThan(0);
    expect(froms[froms.length - 1]).toMatch(/^node:20[\w.]*-bookworm-slim(\s|$)/);
  });

  it('installs npm 11 before npm ci, after copying the lockfile', () => {
    const npm11 = lastIndex((i) => i.op === 'RUN' && /npm (i|install) (-g|--global) npm@11\b/.test(i.args));
    const ci = lastIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    const lock = instructions.findIndex((i) => i.op === 'COPY' && i.args.includes('package-lock.json'));
    expect(npm11, 'npm i -g npm@11').toBeGreaterThanOrEqual(0);
    expect(ci, 'npm ci').toBeGreaterThan(npm11);
    expect(lock, 'COPY package-lock.json').toBeGreaterThanOrEqual(0);
    expect(lock).toBeLessThan(ci);
  });

  it('runs the worker by default as the non-root user node, exposing metrics', () => {
    const cmds = all('CMD');
    expect(cmds.length).toBeGreaterThan(0);
    const cmd: unknown = JSON.parse(cmds[cmds.length - 1] as string);
    expect(cmd).toEqual(['node', 'bin/datapulse.cjs', 'worker']);

    const users = all('USER');
    expect(users.length, 'no USER instruction: the container would run as root').toBeGreaterThan(0);
    const user = (users[users.length - 1] as string).split(':')[0];
    expect(user).toBe('node');
    expect(['root', '0']).not.toContain(user);
    // Nothing after the final USER switches back to root privileges.
    expect(lastIndex((i) => i.op === 'USER')).toBeGreaterThan(lastIndex((i) => i.op === 'RUN'));

    expect(all('EXPOSE').join(' ').split(/\s+/)).toContain('9464');
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/^\/+/, '').replace(/\/+$/, ''))
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.tools', '.data', '.git', 'coverage']));
    expect(statSync(path.join(ROOT, 'package-lock.json')).isFile()).toBe(true);
  });
});

// ---------------------------------------------------------------- grafana ---

describe('Grafana: provisioned data sources and dashboards', () => {
  const bindTarget = (name: string, source: string): string | undefined =>
    mountsOf(name).find((m) => m.type === 'bind' && path.normalize(m.source ?? '') === path.normalize(source))?.target;
  const datasources = (loadYaml('deploy/grafana/provisioning/datasources/datapulse.yaml')['datasources'] ?? []) as Obj[];
  const providers = (loadYaml('deploy/grafana/provisioning/dashboards/datapulse.yaml')['providers'] ?? []) as Obj[];
  const board = (file: string): Obj => JSON.parse(readRepoFile(`deploy/grafana/dashboards/${file}`)) as Obj;
  const panelsOf = (b: Obj): Obj[] => (b['panels'] ?? []) as Obj[];
  const targetsOf = (b: Obj): Obj[] => panelsOf(b).flatMap((p) => (p['targets'] ?? []) as Obj[]);

  it('runs a pinned Grafana, published on 3001 (3000 is the console), after Prometheus and PostgreSQL are healthy', () => {
    expect(splitImage(imageOf('grafana') as string)).toMatchObject({ repo: 'grafana/grafana' });
    expect(portsOf('grafana').some((p) => p.published === '3001' && p.target === '3000')).toBe(true);
    expect(dependsOn('grafana')).toEqual({ prometheus: 'service_healthy', postgres: 'service_healthy' });
    expect(service('grafana')['healthcheck']).toBeDefined();
  });

  it('mounts the provisioning folder and the dashboards folder where the provider reads them', () => {
    expect(bindTarget('grafana', './deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const dashboardsAt = bindTarget('grafana', './deploy/grafana/dashboards');
    expect(providers).toHaveLength(1);
    expect((providers[0]?.['options'] as Obj)['path']).toBe(dashboardsAt);
  });

  it('provisions Prometheus and the DataPulse PostgreSQL through the read-only role', () => {
    const byType = Object.fromEntries(datasources.map((d) => [d['type'] as string, d]));
    const prom = byType['prometheus'] as Obj;
    expect(prom['url']).toBe(`http://prometheus:${portsOf('prometheus')[0]?.target}`);
    const pg = byType['grafana-postgresql-datasource'] as Obj;
    expect(pg['url']).toBe('postgres:5432');
    expect(pg['user']).toBe('datapulse_reader');
    expect((pg['jsonData'] as Obj)['database']).toBe(interpolate(envOf('postgres')['POSTGRES_DB'] ?? ''));
    // The password comes from the environment Grafana gets, the same variable the role is created with.
    expect((pg['secureJsonData'] as Obj)['password']).toBe('$READER_DB_PASSWORD');
    expect(interpolate(envOf('grafana')['READER_DB_PASSWORD'] ?? '')).toBe(interpolate(envOf('postgres')['READER_DB_PASSWORD'] ?? ''));
    expect(readRepoFile(COMPOSE_FILE)).not.toMatch(/READER_DB_PASSWORD: [^$]/);
  });

  it('creates the reader role with SELECT only, read-only transactions, on first start of postgres', () => {
    expect(bindTarget('postgres', './deploy/postgres/10-reader-role.sh')).toMatch(/^\/docker-entrypoint-initdb\.d\/.+\.sh$/);
    const script = readRepoFile('deploy/postgres/10-reader-role.sh');
    expect(statSync(path.join(ROOT, 'deploy/postgres/10-reader-role.sh')).mode & 0o111).not.toBe(0);
    const grants = [...script.matchAll(/GRANT ([A-Z, ]+) ON/g)].map((m) => m[1]?.trim());
    expect(new Set(grants)).toEqual(new Set(['CONNECT', 'USAGE', 'SELECT']));
    expect(script).toContain('GRANT SELECT ON TABLES TO datapulse_reader');
    expect(script).toContain('default_transaction_read_only = on');
    expect(script).not.toMatch(/INSERT|UPDATE|DELETE|TRUNCATE|CREATE ON SCHEMA/);
  });

  it('ships an operations board (throughput, failures, freshness, schedule-to-start) on metrics the stack exports', () => {
    const ops = board('operations.json');
    const uids = new Set(datasources.map((d) => d['uid']));
    const exprs = targetsOf(ops).map((t) => t['expr'] as string);
    for (const t of targetsOf(ops)) expect(uids.has((t['datasource'] as Obj)['uid'])).toBe(true);
    expect(exprs.some((e) => e.includes('rate(datapulse_partitions_succeeded_total'))).toBe(true);
    expect(exprs.some((e) => e.includes('datapulse_partitions_failed_total'))).toBe(true);
    expect(exprs.some((e) => e.includes('datapulse_freshness_lag_seconds'))).toBe(true);
    expect(exprs.some((e) => e.includes('temporal_activity_schedule_to_start_latency_bucket'))).toBe(true);
    const metricsSource = readRepoFile('infra/metrics.ts');
    for (const m of new Set(exprs.flatMap((e) => e.match(/datapulse_[a-z_]+/g) ?? []))) {
      // Row counters are declared as rows('<what>', ...) → datapulse_rows_<what>_total.
      const declared = /^datapulse_rows_([a-z]+)_total$/.exec(m);
      expect(metricsSource, `${m} is not a metric of infra/metrics.ts`).toContain(declared ? `rows('${declared[1]}'` : `'${m.replace(/_bucket$/, '')}'`);
    }
  });

  it('ships a KPI board whose SQL reads pipeline target tables only, through the PostgreSQL source', () => {
    const kpi = board('weather-kpi.json');
    const pgUid = datasources.find((d) => d['type'] === 'grafana-postgresql-datasource')?.['uid'];
    const targets = targetsOf(kpi);
    expect(targets.length).toBeGreaterThanOrEqual(3);
    const tables = new Set<string>();
    for (const t of targets) {
      expect((t['datasource'] as Obj)['uid']).toBe(pgUid);
      for (const m of (t['rawSql'] as string).matchAll(/datapulse\.([a-z_]+)/g)) tables.add(m[1] as string);
    }
    const targetsOfPipelines = registry.pipelines.map((p) => p.target.table);
    expect([...tables].every((t) => targetsOfPipelines.includes(t))).toBe(true);
    expect(tables).toEqual(new Set(['city_weather_daily', 'weather_observations']));
    for (const b of [kpi, board('operations.json')]) expect(new Set(panelsOf(b).map((p) => p['id'])).size).toBe(panelsOf(b).length);
  });
});
