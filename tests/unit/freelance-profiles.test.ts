/**
 * Profile cleaning rules (pipelines/freelance-profiles.ts) as pure functions, on generated files:
 * every planted profile defect is refused naming its field or loads as documented, every clean
 * profile passes, and the duplicate rule keeps exactly one record per freelancer — the later one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupeProfiles, normaliseProfileKeys, profileSchema, profileTransform, type Profile } from '../../pipelines/freelance-profiles';
import { generateFreelance, type FreelanceManifest, type PlantedDefect } from '../../scripts/generate-freelance';

let dir: string;
let manifest: FreelanceManifest;
let defects: PlantedDefect[];
/** Every record of every profile file, in source order (files by name, then position). */
let records: { file: string; line: number; seq: number; record: Record<string, unknown> }[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'freelance-profiles-'));
  manifest = await generateFreelance({ out: dir, scale: 240, months: 1, freelancers: 200, seed: 3 });
  defects = readFileSync(path.join(dir, 'defects.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PlantedDefect)
    .filter((d) => d.dataset === 'profiles');
  records = [];
  for (const file of [...manifest.files.profiles].sort()) {
    const items = JSON.parse(readFileSync(path.join(dir, 'freelance_profiles', file), 'utf8')) as Record<string, unknown>[];
    items.forEach((record, i) => records.push({ file, line: i + 1, seq: records.length + 1, record }));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (d: { file: string; line: number }) => `${d.file}:${d.line}`;

describe('profile schema on generated files', () => {
  it('refuses exactly the planted defective records, naming the planted field', () => {
    const refused = records
      .map((r) => ({ r, p: profileSchema.safeParse(r.record) }))
      .filter(({ p }) => !p.success)
      .map(({ r, p }) => `${at(r)} ${String(p.error!.issues[0]!.path[0])}`);
    const expected = defects.filter((d) => d.expected === 'quarantine').map((d) => `${at(d)} ${d.field}`);
    expect(expected.length).toBeGreaterThanOrEqual(18);
    expect(refused.sort()).toEqual(expected.sort());
  });

  it('gives reasons an operator can act on', () => {
    const reason = (kind: string) =>
      defects
        .filter((d) => d.kind === kind)
        .map((d) => {
          const p = profileSchema.safeParse(records.find((r) => at(r) === at(d))!.record);
          return p.success ? 'accepted' : p.error.issues[0]!.message;
        });
    for (const m of reason('malformed_email')) expect(m).toMatch(/^not a valid email address: "/);
    for (const m of reason('zero_rate')) expect(m).toMatch(/must be greater than 0/);
    for (const m of reason('negative_rate')) expect(m).toMatch(/must be greater than 0, got -/);
    for (const m of reason('ambiguous_rate')) expect(m).toMatch(/ambiguous/);
    for (const m of reason('missing_name')) expect(m).toBe('missing name');
    for (const m of reason('unparseable_updated_at')) expect(m).toMatch(/not a (date|day of the calendar)/);
  });

  it('loads French and English records alike, with missing cities as null and skills normalised', () => {
    const fr = records.find((r) => r.file.startsWith('profils-') && profileSchema.safeParse(r.record).success)!;
    const p = profileSchema.parse(fr.record);
    expect(Object.keys(p).sort()).toEqual(['availability', 'city', 'daily_rate', 'email', 'id', 'name', 'skills', 'updated_at']);
    expect(['available', 'on_mission']).toContain(p.availability);
    for (const d of defects.filter((x) => x.kind === 'missing_city')) {
      expect(profileSchema.parse(records.find((r) => at(r) === at(d))!.record).city).toBeNull();
    }
    for (const d of defects.filter((x) => x.kind === 'skill_spelling')) {
      const q = profileSchema.parse(records.find((r) => at(r) === at(d))!.record);
      expect(q.skills[0]!.category).not.toBe('other');
      expect(q.skills[0]!.skill).toBe(q.skills[0]!.skill.trim());
    }
  });

  it('keeps one record per freelancer: the latest updated_at, then the later one in source order', () => {
    const valid = records.flatMap((r) => {
      const p = profileSchema.safeParse(r.record);
      return p.success ? [{ ...r, profile: p.data, id: p.data.id, updatedAt: p.data.updated_at }] : [];
    });
    const { kept, dropped } = dedupeProfiles(valid);
    expect(kept).toHaveLength(manifest.freelancers);
    const droppedAt = dropped.map((seq) => at(valid.find((v) => v.seq === seq)!)).sort();
    expect(droppedAt).toEqual(defects.filter((d) => d.expected === 'deduplicated').map(at).sort());
    // The updated copies win: their rate is the original's + 50 €.
    for (const d of defects.filter((x) => x.kind === 'profile_duplicate_updated')) {
      const original = valid.find((v) => at(v) === at(d))!;
      const winner = kept.find((k) => k.id === d.id)!;
      expect(at(winner)).toBe(at(d.replacedBy!));
      expect(Number(winner.profile.daily_rate) - Number(original.profile.daily_rate)).toBe(50);
    }
  });
});

describe('profile rules, one by one', () => {
  const base = { id: 'FL-00042', name: 'Hélène  Dupont', email: ' Helene.Dupont@Mail.fr ', skills: ['react', 'REACT', ' Node '], daily_rate: '450€', city: 'Saint-Étienne', availability: 'disponible', updated_at: '14/10/2025' };

  it('normalises a record', () => {
    const p = profileSchema.parse(base);
    expect(profileTransform(p)).toEqual({
      freelancer_id: 'FL-00042',
      name: 'Hélène Dupont',
      email: 'helene.dupont@mail.fr',
      daily_rate_eur: '450.00',
      skills: ['React', 'Node.js'],
      primary_skill: 'React',
      skill_categories: ['frontend', 'backend'],
      city: 'Saint-Étienne',
      availability: 'available',
      updated_at: '2025-10-14',
    });
  });

  it('matches French keys without regard to accents or case', () => {
    const fr = { ID: 'fl-00042', Nom: 'Hélène Dupont', courriel: 'h@mail.fr', competences: ['Go'], tarif_jour: 450, ville: null, disponibilité: 'en mission', 'mis_à_jour': '2025-10-14' };
    expect(profileSchema.parse(fr)).toMatchObject<Partial<Profile>>({ id: 'FL-00042', daily_rate: '450.00', city: null, availability: 'on_mission' });
  });

  it('refuses a field given twice with different values, naming it', () => {
    const r = profileSchema.safeParse({ ...base, nom: 'Autre Nom' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['name'], message: expect.stringMatching(/given twice/) });
    expect(profileSchema.safeParse({ ...base, nom: base.name }).success).toBe(true);
    expect(normaliseProfileKeys('not an object')).toEqual({ record: 'not an object', conflicts: [] });
  });

  it.each([
    [{ availability: 'bientôt' }, 'availability'],
    [{ id: '42' }, 'id'],
    [{ email: undefined }, 'email'],
    [{ skills: 'React, Go' }, 'skills'],
    [{ daily_rate: '1.200€' }, 'daily_rate'],
    [{ updated_at: undefined }, 'updated_at'],
  ])('refuses %j naming %s', (patch, field) => {
    const r = profileSchema.safeParse({ ...base, ...patch });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path[0]).toBe(field);
  });

  it('treats a missing availability or skill list as unknown / none', () => {
    const p = profileSchema.parse({ ...base, availability: '', skills: null });
    expect([p.availability, p.skills]).toEqual([null, []]);
    expect(profileTransform(p)).toMatchObject({ primary_skill: null, skills: [], skill_categories: [] });
  });

  it('dedupeProfiles breaks ties on updated_at by source order', () => {
    const rows = [
      { id: 'A', updatedAt: '2025-01-02', seq: 1 },
      { id: 'A', updatedAt: '2025-01-01', seq: 2 },
      { id: 'B', updatedAt: '2025-01-01', seq: 3 },
      { id: 'B', updatedAt: '2025-01-01', seq: 4 },
    ];
    expect(dedupeProfiles(rows)).toEqual({ kept: [rows[0], rows[3]], dropped: [2, 3] });
  });
});
