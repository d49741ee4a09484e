/**
 * T1 of the freelance platform's profiles (issue 14): the row schema, transform and deduplication
 * rule for profile JSON files (`LANDING_DIR/freelance_profiles/*.json`, arrays of profiles, English
 * or French keys; see scripts/generate-freelance.ts).
 *
 * Registered as `freelance_profiles`: an unpartitioned snapshot (key `all`, re-loaded as a whole
 * when a file changes) of every valid profile record with its place in the source
 * (`freelance_profiles`, rows keyed by file and element). The duplicate rule below is applied by
 * the derived dataset `freelancers` (pipelines/freelance-indicators.ts) in SQL, one row per id.
 *
 * Rules (a refused record is quarantined naming the English field and the reason):
 * - **Keys**: English (`id, name, email, skills, daily_rate, city, availability, updated_at`) or
 *   French (`nom, courriel, compétences, tarif_jour, ville, disponibilité, mis_à_jour`), matched
 *   without regard to case or accents (`competences` = `compétences`). A record giving one field
 *   under both names with different values is refused (which one is right?).
 * - **id** `FL-00042`; **name** required (spaces collapsed); **email** required and valid (zod's
 *   email rule), stored lower-case.
 * - **daily_rate** as `money({ positive: true })`: `"450€"`, `450`, `"450,00 €"`; zero, negative and
 *   ambiguous (`"1,200€"`) are refused.
 * - **skills**: a list of names, normalised through the catalog (pipelines/freelance-skills.ts),
 *   duplicates removed, order kept; missing → empty list.
 * - **city**: optional (missing or empty → null). **availability**: `available`/`disponible` or
 *   `on_mission`/`en mission`; missing → null (unknown); anything else is refused.
 * - **updated_at**: required date (ISO or `dd/MM/yyyy`): it decides between duplicates.
 * - **Duplicates** ({@link dedupeProfiles}): of records sharing an id, the latest `updated_at` wins;
 *   on a tie, the later one in source order (file name, then position). Unlike invoices, source
 *   order alone is not enough: exports are named by their authors (`profils-…-fr.json` sorts after
 *   `profiles-…-update.json`), and a correction must win over an older export whatever its name.
 */
import { z } from 'zod';
import { businessDate } from '../core/business-dates';
import { money } from '../core/money';
import { definePipeline, unpartitioned, type SqlType } from '../core/pipeline';
import { normaliseSkill, type SkillCategory } from './freelance-skills';

/** French (and accent-free) keys → the English field names used everywhere downstream. */
export const PROFILE_KEY_ALIASES: Readonly<Record<string, string>> = {
  id: 'id',
  identifiant: 'id',
  name: 'name',
  nom: 'name',
  email: 'email',
  courriel: 'email',
  mail: 'email',
  skills: 'skills',
  competences: 'skills',
  daily_rate: 'daily_rate',
  tarif_jour: 'daily_rate',
  tjm: 'daily_rate',
  city: 'city',
  ville: 'city',
  availability: 'availability',
  disponibilite: 'availability',
  updated_at: 'updated_at',
  mis_a_jour: 'updated_at',
};

const keyOf = (k: string) => k.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim();

/**
 * A profile record with its keys mapped to the English names (unknown keys kept as they are), and
 * the fields given twice with different values (`nom` and `name`). Pure; never throws.
 */
export function normaliseProfileKeys(record: unknown): { record: unknown; conflicts: { field: string; message: string }[] } {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return { record, conflicts: [] };
  const out: Record<string, unknown> = {};
  const conflicts: { field: string; message: string }[] = [];
  for (const [k, v] of Object.entries(record)) {
    const name = PROFILE_KEY_ALIASES[keyOf(k)] ?? k;
    if (name in out && JSON.stringify(out[name]) !== JSON.stringify(v)) {
      conflicts.push({ field: name, message: `given twice with different values (${JSON.stringify(out[name])?.slice(0, 40)} and ${JSON.stringify(v)?.slice(0, 40)} as "${k}")` });
    }
    out[name] = v;
  }
  return { record: out, conflicts };
}

const collapse = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();
const blank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

const AVAILABILITY: Readonly<Record<string, 'available' | 'on_mission'>> = {
  available: 'available',
  disponible: 'available',
  on_mission: 'on_mission',
  'on mission': 'on_mission',
  'en mission': 'on_mission',
  en_mission: 'on_mission',
};

/** The row schema of one profile record (after {@link normaliseProfileKeys}); issues name English fields. */
export const profileSchema = z.preprocess(
  (v, ctx) => {
    const { record, conflicts } = normaliseProfileKeys(v);
    for (const c of conflicts) ctx.addIssue({ code: 'custom', path: [c.field], message: c.message, input: v });
    return record;
  },
  z
    .object({
      id: z.string({ error: 'missing id' }).trim().regex(/^FL-\d{5}$/i, 'expected a freelancer id like FL-00042').transform((s) => s.toUpperCase()),
      name: z.string({ error: 'missing name' }).transform(collapse).pipe(z.string().min(1, 'missing name')),
      email: z
        .string({ error: 'missing email' })
        .trim()
        .toLowerCase()
        .pipe(z.email({ error: (iss) => `not a valid email address: ${JSON.stringify(iss.input)}` })),
      skills: z
        .union([z.array(z.string()), z.null(), z.undefined()], { error: 'expected a list of skill names' })
        .transform((list) => {
          const out: { skill: string; category: SkillCategory }[] = [];
          for (const raw of list ?? []) {
            const n = normaliseSkill(raw);
            if (n && !out.some((o) => o.skill === n.skill)) out.push(n);
          }
          return out;
        }),
      daily_rate: money({ positive: true }),
      city: z.unknown().optional().transform((v, ctx): string | null => {
        if (blank(v)) return null;
        if (typeof v !== 'string') {
          ctx.addIssue({ code: 'custom', message: `expected a city name, got ${typeof v}` });
          return z.NEVER;
        }
        return collapse(v);
      }),
      availability: z.unknown().optional().transform((v, ctx): 'available' | 'on_mission' | null => {
        if (blank(v)) return null;
        const a = typeof v === 'string' ? AVAILABILITY[collapse(v).toLowerCase()] : undefined;
        if (!a) {
          ctx.addIssue({ code: 'custom', message: `expected available/disponible or on_mission/en mission, got ${JSON.stringify(v)}` });
          return z.NEVER;
        }
        return a;
      }),
      updated_at: businessDate(),
    }),
);

/** A valid profile as the schema produces it. */
export type Profile = z.infer<typeof profileSchema>;

/**
 * Columns of the `freelance_profiles` target: every valid record, keyed by its source position
 * (duplicates kept; `freelancers` keeps one per id by {@link dedupeProfiles}'s rule).
 */
export const PROFILE_TARGET = {
  table: 'freelance_profiles',
  columns: {
    freelancer_id: 'text',
    name: 'text',
    email: 'text',
    daily_rate_eur: 'numeric',
    skills: 'jsonb',
    primary_skill: 'text',
    skill_categories: 'jsonb',
    city: 'text',
    availability: 'text',
    updated_at: 'date',
  } satisfies Record<string, SqlType>,
  key: [],
  rowKey: 'source-position',
} as const;

/** The target row of a valid profile (pure). */
export function profileTransform(p: Profile): Record<string, unknown> {
  return {
    freelancer_id: p.id,
    name: p.name,
    email: p.email,
    daily_rate_eur: p.daily_rate,
    skills: p.skills.map((s) => s.skill),
    primary_skill: p.skills[0]?.skill ?? null,
    skill_categories: [...new Set(p.skills.map((s) => s.category))],
    city: p.city,
    availability: p.availability,
    updated_at: p.updated_at,
  };
}

/** One valid profile with its place in the source, for {@link dedupeProfiles}. */
export interface SequencedProfile {
  readonly id: string;
  /** ISO date `YYYY-MM-DD`. */
  readonly updatedAt: string;
  /** Position in source order (files by name, then element): larger is later. */
  readonly seq: number;
}

/**
 * The documented duplicate rule: per id, the record with the latest `updatedAt` wins; on a tie,
 * the later one in source order. Returns the winners (one per id, in order of first appearance)
 * and the `seq` of every record it drops. Pure. The SQL form of the same rule, for a set-based
 * transform: `DISTINCT ON (freelancer_id) ... ORDER BY freelancer_id, updated_at DESC, dp_seq DESC`.
 */
export function dedupeProfiles<T extends SequencedProfile>(rows: readonly T[]): { kept: T[]; dropped: number[] } {
  const best = new Map<string, T>();
  for (const r of rows) {
    const cur = best.get(r.id);
    if (!cur || r.updatedAt > cur.updatedAt || (r.updatedAt === cur.updatedAt && r.seq > cur.seq)) best.set(r.id, r);
  }
  const keptSeq = new Set([...best.values()].map((r) => r.seq));
  return { kept: [...best.values()], dropped: rows.filter((r) => !keptSeq.has(r.seq)).map((r) => r.seq) };
}

/**
 * T1 profiles: JSON files `profiles*.json` / `profils*.json` in `LANDING_DIR/freelance_profiles/`,
 * one unpartitioned snapshot (`all`). Rejected records are quarantined naming the English field.
 */
export const freelanceProfiles = definePipeline({
  name: 'freelance_profiles',
  description: 'Freelance platform profiles from JSON exports (English or French keys): valid emails and daily rates, normalised skills; every valid record (T1)',
  version: 1,
  partitioning: unpartitioned(),
  params: {},
  source: { kind: 'csv-files', format: 'json', filePattern: /^profil(e)?s.*\.json$/i, requiredColumns: [] },
  schema: profileSchema,
  transform: profileTransform,
  target: PROFILE_TARGET,
});
