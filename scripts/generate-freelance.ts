/**
 * Deterministic generator of the freelance platform's landing files, with the mess real exports
 * have, and a manifest of every planted defect (which file, which row, which defect, where it must
 * land) that the tests read.
 *
 *   npm run generate:freelance -- --out <dir> [--scale 50000] [--seed 42] [--months 24] [--freelancers 1000]
 *
 * Writes:
 * - `<out>/freelance_profiles/`: JSON files (arrays of profiles). `profiles-*.json` use English keys
 *   (`id, name, email, skills, daily_rate, city, availability, updated_at`); `profils-*.json` French
 *   ones with accents (`id, nom, courriel, compétences, tarif_jour, ville, disponibilité, mis_à_jour`).
 *   A later `profiles-*-update.json` repeats some profiles (identical, or updated later).
 * - `<out>/freelance_invoices/invoices-YYYY-MM.csv`: one file per invoice month, columns
 *   `invoice_id, freelancer, amount, invoice_month, issue_date, due_date, paid_date, days_billed,
 *   client, skill`. Amounts as `4500€`, `4 500,00 €` (with a space, a no-break space or a narrow
 *   no-break space), `4500.00`, `4.500,00`, `4500,00`, `4500`; months as `Oct-2025`, a full date or
 *   `31/10/2025`; due and paid dates ISO or `dd/MM/yyyy`; freelancers by id (`FL-00042`) or by name.
 * - `<out>/manifest.json`: parameters, files, row counts and defect counts per kind;
 *   `<out>/defects.ndjson`: one line per planted defect
 *   `{ dataset, file, line, kind, expected, field?, id, duplicateOf? }` where `line` is the CSV line
 *   (header = 1) or the JSON array element index + 1, and `expected` is where the row must land:
 *   `quarantine` (with the `field` named), `unplaced` (no partition can own it), `deduplicated`
 *   (an earlier row of the same key that a later one replaces), `loaded` (accepted as is, e.g. an
 *   unknown freelancer kept for T2 to resolve, a skill spelled oddly, a missing city).
 *
 * The same arguments always write the same bytes (seeded PRNG, no clock). Invoices are written row
 * by row with backpressure, and defects as they are planted, so `--scale 1000000` runs in constant
 * memory (the only state is the 1,000 freelancers and a small queue of pending duplicates).
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SKILLS } from '../pipelines/freelance-skills';

/** Every kind of planted defect, and where a correct pipeline puts the row. */
export const DEFECTS = {
  // Invoices
  duplicate_exact: { dataset: 'invoices', expected: 'deduplicated' },
  duplicate_corrected: { dataset: 'invoices', expected: 'deduplicated' },
  zero_amount: { dataset: 'invoices', expected: 'quarantine', field: 'amount' },
  negative_amount: { dataset: 'invoices', expected: 'quarantine', field: 'amount' },
  ambiguous_amount: { dataset: 'invoices', expected: 'quarantine', field: 'amount' },
  unparseable_amount: { dataset: 'invoices', expected: 'quarantine', field: 'amount' },
  unknown_freelancer: { dataset: 'invoices', expected: 'loaded' },
  unparseable_invoice_month: { dataset: 'invoices', expected: 'quarantine', field: 'invoice_month' },
  unparseable_due_date: { dataset: 'invoices', expected: 'quarantine', field: 'due_date' },
  unparseable_paid_date: { dataset: 'invoices', expected: 'quarantine', field: 'paid_date' },
  unparseable_issue_date: { dataset: 'invoices', expected: 'unplaced' },
  missing_client: { dataset: 'invoices', expected: 'quarantine', field: 'client' },
  // Profiles
  profile_duplicate_exact: { dataset: 'profiles', expected: 'deduplicated' },
  profile_duplicate_updated: { dataset: 'profiles', expected: 'deduplicated' },
  malformed_email: { dataset: 'profiles', expected: 'quarantine', field: 'email' },
  zero_rate: { dataset: 'profiles', expected: 'quarantine', field: 'daily_rate' },
  negative_rate: { dataset: 'profiles', expected: 'quarantine', field: 'daily_rate' },
  ambiguous_rate: { dataset: 'profiles', expected: 'quarantine', field: 'daily_rate' },
  missing_name: { dataset: 'profiles', expected: 'quarantine', field: 'name' },
  unparseable_updated_at: { dataset: 'profiles', expected: 'quarantine', field: 'updated_at' },
  missing_city: { dataset: 'profiles', expected: 'loaded' },
  skill_spelling: { dataset: 'profiles', expected: 'loaded' },
} as const satisfies Record<string, { dataset: 'invoices' | 'profiles'; expected: 'quarantine' | 'unplaced' | 'deduplicated' | 'loaded'; field?: string }>;
export type DefectKind = keyof typeof DEFECTS;

/** One line of defects.ndjson. */
export interface PlantedDefect {
  readonly dataset: 'invoices' | 'profiles';
  /** File name inside the dataset's folder. */
  readonly file: string;
  /** CSV line (header = 1), or JSON array element index + 1. */
  readonly line: number;
  readonly kind: DefectKind;
  readonly expected: 'quarantine' | 'unplaced' | 'deduplicated' | 'loaded';
  /** Target field named by the quarantine, for `expected: quarantine`. */
  readonly field?: string;
  /** Invoice id or profile id of the row. */
  readonly id: string;
  /** For duplicates: the row (file, line) that replaces this one. */
  readonly replacedBy?: { readonly file: string; readonly line: number };
}

/** manifest.json. */
export interface FreelanceManifest {
  readonly generator: 'generate-freelance';
  readonly seed: number;
  readonly scale: number;
  readonly months: readonly string[];
  /** Reference day for "overdue": invoices due before it and unpaid are overdue. */
  readonly asOf: string;
  readonly freelancers: number;
  readonly files: { readonly profiles: readonly string[]; readonly invoices: readonly string[] };
  readonly rows: { readonly profiles: number; readonly invoices: number };
  readonly defects: Readonly<Partial<Record<DefectKind, number>>>;
  readonly defectsFile: 'defects.ndjson';
}

/** Options of {@link generateFreelance}. */
export interface GenerateOptions {
  readonly out: string;
  /** Clean invoices to generate (planted duplicates come on top). @default 50000 */
  readonly scale?: number;
  /** @default 42 */
  readonly seed?: number;
  /** Invoice months, from January 2024. @default 24 */
  readonly months?: number;
  /** Valid freelancers (defective profiles come on top, with ids above these). @default 1000 */
  readonly freelancers?: number;
}

/** Rate of each invoice defect per clean invoice (besides one of each, forced in the first month). */
const INVOICE_RATES: ReadonlyArray<[DefectKind, number]> = [
  ['zero_amount', 0.002],
  ['negative_amount', 0.002],
  ['ambiguous_amount', 0.002],
  ['unparseable_amount', 0.001],
  ['unknown_freelancer', 0.003],
  ['unparseable_invoice_month', 0.001],
  ['unparseable_due_date', 0.001],
  ['unparseable_paid_date', 0.001],
  ['unparseable_issue_date', 0.001],
  ['missing_client', 0.001],
];
const DUPLICATE_EXACT_RATE = 0.01;
const DUPLICATE_CORRECTED_RATE = 0.003;

const FIRST_NAMES = ['Jeanne', 'Hélène', 'Éloïse', 'François', 'Noël', 'Zoé', 'Loïc', 'Gaël', 'Chloé', 'Amélie', 'Théo', 'Léa', 'Jérôme', 'Cécile', 'Raphaël', 'Inès', 'Maël', 'Anaïs', 'Benoît', 'Clément', 'Sophie', 'Lucas', 'Manon', 'Hugo', 'Camille', 'Nathan', 'Emma', 'Louis', 'Sarah', 'Thomas', 'Julie', 'Antoine', 'Pauline', 'Mathis', 'Agnès', 'Rémi', 'Océane', 'Jérémie', 'Maëlys', 'Aurélien'];
const LAST_NAMES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'García', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'André', 'Lefèbvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martínez', 'Légaré', 'Gauthier', 'Chevalier', 'Brûlé', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Henry', 'Roussel', 'Nicolas', 'Perrin', 'Morin', 'Mathieu', 'Clément', 'Gaillard', 'Noël', 'Côté', 'Lemaître'];
const CITIES = ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nantes', 'Bordeaux', 'Lille', 'Montpellier', 'Strasbourg', 'Rennes', 'Nice', 'Grenoble', 'Saint-Étienne', 'Orléans', 'Besançon', 'Nîmes'];
const CLIENTS = ['Société Générale', 'Crédit Agricole', "L'Oréal", 'Île-de-France Mobilités', 'Dupont, Fils & Cie', 'Air France', 'Décathlon', 'Leroy Merlin', 'SNCF Connect', 'Groupe Renault', 'Orange Business', 'BNP Paribas', 'Thalès', 'Carrefour', 'La Poste', 'Doctolib', 'BlaBlaCar', 'Back Market', 'Qonto', 'Alan', 'Pôle Santé "Les Tilleuls"', 'Mairie de Nîmes', 'EDF', 'Engie', 'Vinci', 'Saint-Gobain', 'Michelin', 'Danone', 'Ubisoft', 'Dassault Systèmes'];
const DOMAINS = ['gmail.com', 'outlook.fr', 'proton.me', 'free.fr', 'orange.fr', 'laposte.net'];
const MONTH_ABBR = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SKILL_NAMES = Object.keys(SKILLS);
const NNBSP = '\u202f';
const NBSP = '\u00a0';

/** mulberry32: a small seeded PRNG (same seed, same sequence, on every platform). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Freelancer {
  id: string;
  name: string;
  email: string;
  skills: string[];
  /** Whole euros per day. */
  rate: number;
  city: string;
  availability: 'available' | 'on_mission';
  updatedAt: string;
  /** How much work this freelancer gets, relative to the average. */
  load: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ascii = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');

/** Days in a UTC month (month 0-based). */
const daysIn = (year: number, month0: number) => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

/** Groups the integer part by three with `sep`. */
function group(int: string, sep: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** Writes an amount (cents) in one of the export formats; never an ambiguous spelling. */
function formatAmount(cents: number, r: () => number): string {
  const neg = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  const int = String(Math.floor(a / 100));
  const frac = pad(a % 100);
  const whole = a % 100 === 0;
  const u = r();
  if (u < 0.3) return `${neg}${int}${whole ? '' : `,${frac}`}€`;
  if (u < 0.55) {
    const sp = [' ', NBSP, NNBSP][Math.floor(r() * 3)]!;
    return `${neg}${group(int, sp)},${frac} €`;
  }
  if (u < 0.8) return `${neg}${int}.${frac}`;
  if (u < 0.9) return `${neg}${group(int, '.')},${frac}`;
  if (u < 0.95) return `${neg}${int},${frac}`;
  return whole ? `${neg}${int}` : `${neg}${int}.${frac}`;
}

/** Writes a daily rate as profiles do: "450€", "450 €", 450, "450,00 €", "450.00". */
function formatRate(rate: number, r: () => number): string | number {
  const u = r();
  if (u < 0.5) return `${rate}€`;
  if (u < 0.7) return `${rate} €`;
  if (u < 0.85) return rate;
  if (u < 0.95) return `${rate},00 €`;
  return `${rate}.00`;
}

function formatDate(iso: string, r: () => number, dayFirstShare = 0.2): string {
  if (r() >= dayFirstShare) return iso;
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Working days (Monday–Friday) of a month: the occupancy denominator the generator aims at. */
function workingDays(year: number, month0: number): number {
  let n = 0;
  for (let d = 1; d <= daysIn(year, month0); d++) {
    const wd = new Date(Date.UTC(year, month0, d)).getUTCDay();
    if (wd !== 0 && wd !== 6) n++;
  }
  return n;
}

/** `count` freelancers with unique names and emails, each last updated within the year before `beforeMs`. */
function makeFreelancers(count: number, r: () => number, beforeMs: number): Freelancer[] {
  const names = new Set<string>();
  const emails = new Set<string>();
  const out: Freelancer[] = [];
  for (let i = 1; i <= count; i++) {
    let name: string;
    do name = `${FIRST_NAMES[Math.floor(r() * FIRST_NAMES.length)]} ${LAST_NAMES[Math.floor(r() * LAST_NAMES.length)]}`;
    while (names.has(name) && names.size < FIRST_NAMES.length * LAST_NAMES.length);
    if (names.has(name)) name = `${name} ${i}`;
    names.add(name);
    const [first, ...rest] = name.split(' ');
    let local = `${ascii(first!)}.${ascii(rest.join(''))}`;
    if (emails.has(local)) local = `${local}${i}`;
    emails.add(local);
    const nSkills = 1 + Math.floor(r() * 4);
    const skills: string[] = [];
    while (skills.length < nSkills) {
      const s = SKILL_NAMES[Math.floor(r() * SKILL_NAMES.length)]!;
      if (!skills.includes(s)) skills.push(s);
    }
    out.push({
      id: `FL-${pad(i, 5)}`,
      name,
      email: `${local}@${DOMAINS[Math.floor(r() * DOMAINS.length)]}`,
      skills,
      rate: 300 + 10 * Math.floor(r() * 81),
      city: CITIES[Math.floor(r() * CITIES.length)]!,
      availability: r() < 0.35 ? 'available' : 'on_mission',
      updatedAt: isoDay(beforeMs - (1 + Math.floor(r() * 365)) * DAY_MS),
      load: 0.6 + r() * 0.7,
    });
  }
  return out;
}

type JsonProfile = Record<string, unknown>;

function profileJson(f: Freelancer, french: boolean, r: () => number): JsonProfile {
  const rate = formatRate(f.rate, r);
  const availability = french ? (f.availability === 'available' ? 'disponible' : 'en mission') : f.availability;
  return french
    ? { id: f.id, nom: f.name, courriel: f.email, compétences: [...f.skills], tarif_jour: rate, ville: f.city, disponibilité: availability, mis_à_jour: f.updatedAt }
    : { id: f.id, name: f.name, email: f.email, skills: [...f.skills], daily_rate: rate, city: f.city, availability, updated_at: f.updatedAt };
}

/** Writes `text` to the stream, waiting for it to drain when its buffer is full. */
async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * Writes the dataset described in the module comment into `opts.out` and returns its manifest.
 * Throws when an option is out of range.
 */
export async function generateFreelance(opts: GenerateOptions): Promise<FreelanceManifest> {
  const scale = opts.scale ?? 50_000;
  const seed = opts.seed ?? 42;
  const nMonths = opts.months ?? 24;
  const nFreelancers = opts.freelancers ?? 1000;
  if (!Number.isInteger(scale) || scale < nMonths) throw new RangeError(`--scale must be an integer of at least one invoice per month (${nMonths}), got ${scale}`);
  if (!Number.isInteger(nMonths) || nMonths < 1 || nMonths > 120) throw new RangeError(`--months must be within 1..120, got ${nMonths}`);
  if (!Number.isInteger(nFreelancers) || nFreelancers < 10 || nFreelancers > 99_999) throw new RangeError(`--freelancers must be within 10..99999, got ${nFreelancers}`);
  const r = prng(seed);
  const profilesDir = path.join(opts.out, 'freelance_profiles');
  const invoicesDir = path.join(opts.out, 'freelance_invoices');
  mkdirSync(profilesDir, { recursive: true });
  mkdirSync(invoicesDir, { recursive: true });
  const defectsOut = createWriteStream(path.join(opts.out, 'defects.ndjson'));
  const defectCounts: Partial<Record<DefectKind, number>> = {};
  const plant = async (d: Omit<PlantedDefect, 'dataset' | 'expected' | 'field'>) => {
    const spec: { dataset: 'invoices' | 'profiles'; expected: PlantedDefect['expected']; field?: string } = DEFECTS[d.kind];
    defectCounts[d.kind] = (defectCounts[d.kind] ?? 0) + 1;
    const full: PlantedDefect = { dataset: spec.dataset, file: d.file, line: d.line, kind: d.kind, expected: spec.expected, ...(spec.field ? { field: spec.field } : {}), id: d.id, ...(d.replacedBy ? { replacedBy: d.replacedBy } : {}) };
    await write(defectsOut, JSON.stringify(full) + '\n');
  };

  // ---- Profiles -------------------------------------------------------------------------------
  const monthsList: string[] = [];
  for (let m = 0; m < nMonths; m++) monthsList.push(`${2024 + Math.floor(m / 12)}-${pad((m % 12) + 1)}`);
  const lastMonth = monthsList[monthsList.length - 1]!;
  const [ly, lm] = lastMonth.split('-').map(Number) as [number, number];
  const asOf = isoDay(Date.UTC(ly, lm, 15)); // the 15th of the month after the last invoice month
  const lastMonthStartMs = Date.UTC(ly, lm - 1, 1);
  // Profiles were last updated within the year before the last invoice month; corrections come later.
  const freelancers = makeFreelancers(nFreelancers, r, lastMonthStartMs);
  const tag = lastMonth;
  const cutA = Math.floor(nFreelancers * 0.4);
  const cutB = Math.floor(nFreelancers * 0.7);
  const profileFiles: { name: string; french: boolean; items: JsonProfile[] }[] = [
    { name: `profiles-${tag}-a.json`, french: false, items: freelancers.slice(0, cutA).map((f) => profileJson(f, false, r)) },
    { name: `profiles-${tag}-b.json`, french: false, items: freelancers.slice(cutA, cutB).map((f) => profileJson(f, false, r)) },
    { name: `profils-${tag}-fr.json`, french: true, items: freelancers.slice(cutB).map((f) => profileJson(f, true, r)) },
  ];
  // Profiles that already carry a planted defect: the duplicates below pick others, so each
  // profile's expected outcome is one thing.
  const touched = new Set<string>();
  // Odd skill spellings on a few valid profiles (they load, normalised).
  const spellings = (s: string) => [` ${s.toLowerCase()} `, s.toUpperCase(), `${s}  `][Math.floor(r() * 3)]!;
  for (let k = 0; k < Math.max(3, Math.floor(nFreelancers / 100)); k++) {
    const file = profileFiles[k % 3]!;
    const idx = Math.floor(r() * file.items.length);
    const item = file.items[idx]!;
    const key = file.french ? 'compétences' : 'skills';
    const skills = item[key] as string[];
    if (skills.some((s) => s !== s.trim() || s === s.toUpperCase())) continue;
    skills[0] = spellings(skills[0]!);
    touched.add(String(item.id));
    await plant({ file: file.name, line: idx + 1, kind: 'skill_spelling', id: String(item.id) });
  }
  // A missing city on a few valid profiles (loads with city null).
  for (let k = 0; k < 3; k++) {
    const file = profileFiles[k]!;
    const idx = Math.floor(r() * file.items.length);
    const item = file.items[idx]!;
    const key = file.french ? 'ville' : 'city';
    if (item[key] === null) continue;
    item[key] = k === 0 ? null : '';
    if (k === 2) delete item[key];
    touched.add(String(item.id));
    await plant({ file: file.name, line: idx + 1, kind: 'missing_city', id: String(item.id) });
  }
  // Defective profiles: extra records with their own ids (above the valid ones), appended.
  const badKinds: DefectKind[] = ['malformed_email', 'zero_rate', 'negative_rate', 'ambiguous_rate', 'missing_name', 'unparseable_updated_at'];
  const badEmails = ['jean.dupont@', 'jean dupont@mail.fr', 'jean.dupontmail.fr', 'jean@@mail.fr', '@mail.fr', 'jean.dupont@mail'];
  let nextBadId = nFreelancers + 1;
  for (let k = 0; k < badKinds.length * 3; k++) {
    const kind = badKinds[k % badKinds.length]!;
    const file = profileFiles[k % 3]!;
    const base = makeFreelancers(1, r, lastMonthStartMs)[0]!;
    base.id = `FL-${pad(nextBadId++, 5)}`;
    const item = profileJson(base, file.french, r);
    const k2 = (en: string, fr: string) => (file.french ? fr : en);
    if (kind === 'malformed_email') item[k2('email', 'courriel')] = badEmails[k % badEmails.length];
    if (kind === 'zero_rate') item[k2('daily_rate', 'tarif_jour')] = ['0€', 0, '0,00 €'][k % 3];
    if (kind === 'negative_rate') item[k2('daily_rate', 'tarif_jour')] = [`-${base.rate}€`, -base.rate, `-${base.rate},00 €`][k % 3];
    if (kind === 'ambiguous_rate') item[k2('daily_rate', 'tarif_jour')] = ['1,200€', '1.100 €', '1,050'][k % 3];
    if (kind === 'missing_name') item[k2('name', 'nom')] = ['', null, '   '][k % 3];
    if (kind === 'unparseable_updated_at') item[k2('updated_at', 'mis_à_jour')] = ['2025-02-30', 'hier', '2025/13/01'][k % 3];
    file.items.push(item);
    await plant({ file: file.name, line: file.items.length, kind, id: base.id });
  }
  // A later export repeats some profiles: identical, or updated (newer updated_at, other rate and availability).
  const update: JsonProfile[] = [];
  const updateName = `profiles-${tag}-update.json`;
  const nDup = Math.max(4, Math.floor(nFreelancers / 50));
  const picked = new Set<number>();
  for (let k = 0; k < nDup; k++) {
    let i: number;
    do i = Math.floor(r() * nFreelancers);
    while (picked.has(i) || touched.has(freelancers[i]!.id));
    picked.add(i);
    const f = freelancers[i]!;
    const fileIdx = i < cutA ? 0 : i < cutB ? 1 : 2;
    const file = profileFiles[fileIdx]!;
    const line = (fileIdx === 0 ? i : fileIdx === 1 ? i - cutA : i - cutB) + 1;
    if (k % 2 === 0) {
      update.push({ ...file.items[line - 1]! });
      // Identical records, same updated_at: the rule keeps the later one in source order (file name, then position).
      const original = { file: file.name, line };
      const copy = { file: updateName, line: update.length };
      const [dropped, kept] = file.name < updateName ? [original, copy] : [copy, original];
      await plant({ ...dropped, kind: 'profile_duplicate_exact', id: f.id, replacedBy: kept });
    } else {
      const newer: Freelancer = { ...f, rate: f.rate + 50, availability: f.availability === 'available' ? 'on_mission' : 'available', updatedAt: isoDay(Date.UTC(ly, lm, 0)) };
      update.push(profileJson(newer, false, r));
      await plant({ file: file.name, line, kind: 'profile_duplicate_updated', id: f.id, replacedBy: { file: updateName, line: update.length } });
    }
  }
  profileFiles.push({ name: updateName, french: false, items: update });
  for (const f of profileFiles) writeFileSync(path.join(profilesDir, f.name), JSON.stringify(f.items, null, 1) + '\n');

  // ---- Invoices -------------------------------------------------------------------------------
  const header = ['invoice_id', 'freelancer', 'amount', 'invoice_month', 'issue_date', 'due_date', 'paid_date', 'days_billed', 'client', 'skill'];
  const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
  const invoiceFiles: string[] = [];
  let invoiceRows = 0;
  const perMonth = Math.floor(scale / nMonths);
  const activeShare = 0.8;
  for (let m = 0; m < nMonths; m++) {
    const year = 2024 + Math.floor(m / 12);
    const month0 = m % 12;
    const monthKey = monthsList[m]!;
    const fileName = `invoices-${monthKey}.csv`;
    invoiceFiles.push(fileName);
    const out = createWriteStream(path.join(invoicesDir, fileName));
    await write(out, header.join(',') + '\n');
    let line = 1;
    const count = perMonth + (m < scale - perMonth * nMonths ? 1 : 0);
    const wd = workingDays(year, month0);
    const active = freelancers.filter(() => r() < activeShare);
    // Invoices go round-robin over the month's active freelancers, each with an occupancy target
    // (33–97 % of the working days) split over their invoices: a realistic spread, both alert bands.
    // August is the summer lull (two thirds of the usual days billed): the pool's occupancy falls
    // below the 60 % band that month, as the demo's occupancy alert shows.
    const season = month0 === 7 ? 0.65 : 1;
    const occupancy = active.map((f) => Math.min(0.97, f.load * (0.55 + 0.3 * r()) * season));
    const invoicesOf = (j: number) => Math.floor(count / active.length) + (j < count % active.length ? 1 : 0);
    // Duplicates wait a few rows before they are written: [rows left, fields, kind, original line, id].
    const pending: { wait: number; fields: string[]; kind: DefectKind; line: number; id: string }[] = [];
    const emit = async (fields: string[]) => {
      await write(out, fields.map(csvField).join(',') + '\n');
      line++;
      invoiceRows++;
    };
    const flushPending = async (all: boolean) => {
      for (let i = 0; i < pending.length; ) {
        const p = pending[i]!;
        if (all || --p.wait <= 0) {
          pending.splice(i, 1);
          await emit(p.fields);
          await plant({ file: fileName, line: p.line, kind: p.kind, id: p.id, replacedBy: { file: fileName, line } });
        } else i++;
      }
    };
    // One of each invoice defect at the start of the first month, so a one-month set has them all.
    const forced: DefectKind[] = m === 0 ? [...INVOICE_RATES.map(([k]) => k), 'duplicate_exact', 'duplicate_corrected'] : [];
    for (let n = 0; n < count; n++) {
      const j = n % active.length;
      const f = active[j]!;
      const id = `INV-${monthKey}-${pad(n + 1, 6)}`;
      // Quarter days: at --scale 1000000 a freelancer sends ~50 invoices a month and still bills a realistic month.
      const days = Math.max(0.25, Math.round((4 * (0.85 + 0.3 * r()) * occupancy[j]! * wd) / invoicesOf(j)) / 4);
      const daysText = Number.isInteger(days) ? String(days) : r() < 0.5 ? String(days) : String(days).replace('.', ',');
      let cents = Math.round(f.rate * days * 100);
      if (r() < 0.1) cents += 1 + Math.floor(r() * 30_000); // expenses with cents
      const lateIssue = r() < 0.5;
      const issueMs = lateIssue
        ? Date.UTC(year, month0, daysIn(year, month0) - Math.floor(r() * 3))
        : Date.UTC(year, month0 + 1, 1 + Math.floor(r() * 5));
      const issue = isoDay(issueMs);
      const due = isoDay(issueMs + 30 * DAY_MS);
      const paidMs = issueMs + Math.floor(r() * 50) * DAY_MS;
      const paid = r() < 0.85 && paidMs < asOfMs ? isoDay(paidMs) : '';
      const monthStyle = r();
      const lastDay = isoDay(Date.UTC(year, month0, daysIn(year, month0)));
      const monthText = monthStyle < 0.5 ? `${MONTH_ABBR[month0]}-${year}` : monthStyle < 0.75 ? lastDay : formatDate(lastDay, () => 0, 1);
      const skillName = f.skills[r() < 0.7 ? 0 : Math.floor(r() * f.skills.length)]!;
      const skillText = r() < 0.1 ? [skillName.toLowerCase(), ` ${skillName}`, skillName.toUpperCase()][Math.floor(r() * 3)]! : skillName;
      const fields = [
        id,
        r() < 0.1 ? f.name : f.id,
        formatAmount(cents, r),
        monthText,
        issue,
        formatDate(due, r),
        paid === '' ? '' : formatDate(paid, r),
        daysText,
        CLIENTS[Math.floor(r() * CLIENTS.length)]!,
        skillText,
      ];
      let kind: DefectKind | undefined = forced.shift();
      if (!kind) {
        const u = r();
        let acc = 0;
        for (const [k, rate] of INVOICE_RATES) {
          acc += rate;
          if (u < acc) {
            kind = k;
            break;
          }
        }
        if (!kind) {
          const v = r();
          if (v < DUPLICATE_EXACT_RATE) kind = 'duplicate_exact';
          else if (v < DUPLICATE_EXACT_RATE + DUPLICATE_CORRECTED_RATE) kind = 'duplicate_corrected';
        }
      }
      const set = (col: string, v: string) => (fields[header.indexOf(col)] = v);
      switch (kind) {
        case 'zero_amount':
          set('amount', ['0€', '0,00 €', '0.00'][n % 3]!);
          break;
        case 'negative_amount':
          set('amount', `-${formatAmount(cents, r)}`);
          break;
        case 'ambiguous_amount':
          set('amount', [`${Math.floor(cents / 100000)},${pad(Math.floor(cents / 100) % 1000, 3)}`, `${Math.floor(cents / 100000)}.${pad(Math.floor(cents / 100) % 1000, 3)}€`][n % 2]!.replace(/^0[,.]/, '1,'));
          break;
        case 'unparseable_amount':
          set('amount', ['n/a', `${cents / 100} USD`, '45OO€', 'quatre mille'][n % 4]!);
          break;
        case 'unknown_freelancer':
          set('freelancer', n % 2 === 0 ? `FL-${pad(90_000 + Math.floor(r() * 9_999), 5)}` : 'Inconnu Personne');
          break;
        case 'unparseable_invoice_month':
          set('invoice_month', ['Foo-2025', '13-2025', `${MONTH_ABBR[month0]}-25`, `2024-02-30`][n % 4]!);
          break;
        case 'unparseable_due_date':
          set('due_date', ['31/02/2025', '2025-13-05', 'bientôt', '2025/10/14'][n % 4]!);
          break;
        case 'unparseable_paid_date':
          set('paid_date', ['30/02/2025', 'payée', '2025-00-10', '14-10-2025'][n % 4]!);
          break;
        case 'unparseable_issue_date':
          set('issue_date', ['2025-02-30', 'n/a', '31/12/2024', ''][n % 4]!);
          break;
        case 'missing_client':
          set('client', ['', '   '][n % 2]!);
          break;
        case 'duplicate_corrected':
          // Exported before payment, then again once paid: the later row wins.
          fields[header.indexOf('paid_date')] = '';
          break;
        default:
          break;
      }
      await emit(fields);
      if (kind && kind !== 'duplicate_exact' && kind !== 'duplicate_corrected') await plant({ file: fileName, line, kind, id });
      if (kind === 'duplicate_exact') pending.push({ wait: 1 + Math.floor(r() * 30), fields: [...fields], kind, line, id });
      if (kind === 'duplicate_corrected') {
        const later = [...fields];
        later[header.indexOf('paid_date')] = isoDay(Math.min(asOfMs - DAY_MS, issueMs + 20 * DAY_MS));
        pending.push({ wait: 1 + Math.floor(r() * 30), fields: later, kind, line, id });
      }
      await flushPending(false);
    }
    await flushPending(true);
    await close(out);
  }
  await close(defectsOut);
  const manifest: FreelanceManifest = {
    generator: 'generate-freelance',
    seed,
    scale,
    months: monthsList,
    asOf,
    freelancers: nFreelancers,
    files: { profiles: profileFiles.map((f) => f.name), invoices: invoiceFiles },
    rows: { profiles: profileFiles.reduce((n, f) => n + f.items.length, 0), invoices: invoiceRows },
    defects: defectCounts,
    defectsFile: 'defects.ndjson',
  };
  writeFileSync(path.join(opts.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function positiveInt(name: string) {
  return (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return Number(v);
  };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('generate-freelance')
    .description('Write deterministic freelance profiles (JSON) and invoices (CSV) with planted defects, and their manifest')
    .requiredOption('--out <dir>', 'output folder (gets freelance_profiles/, freelance_invoices/, manifest.json, defects.ndjson)')
    .option('--scale <n>', 'clean invoices to generate (1000000 for the benchmark)', positiveInt('--scale'), 50_000)
    .option('--seed <n>', 'PRNG seed', positiveInt('--seed'), 42)
    .option('--months <n>', 'invoice months from 2024-01', positiveInt('--months'), 24)
    .option('--freelancers <n>', 'valid freelancers', positiveInt('--freelancers'), 1000)
    .parse();
  const o = program.opts<{ out: string; scale: number; seed: number; months: number; freelancers: number }>();
  const started = Date.now();
  const m = await generateFreelance(o);
  console.log(
    `${o.out}: ${m.rows.profiles} profile records in ${m.files.profiles.length} JSON files, ${m.rows.invoices} invoice rows in ${m.files.invoices.length} CSV files, ` +
      `${Object.values(m.defects).reduce((a, b) => a + (b ?? 0), 0)} planted defects (defects.ndjson) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`generate-freelance: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
