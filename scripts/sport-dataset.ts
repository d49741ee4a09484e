/**
 * The sport-benefit demo data set (issue 13), generated deterministically from a seed: an HR extract
 * of ~160 synthetic employees in six teams, the sport each declares, and a calendar year of activity
 * events with a seasonal rhythm — plus the mess real extracts have, each planted defect listed in a
 * machine-readable manifest that tests read (what, where: file, line, field, and where it must end).
 *
 * Same seed → byte-identical CSV, NDJSON and manifest (the .xlsx workbook holds the same cells; its
 * zip container is written with fixed timestamps). Names, streets and towns are made up.
 *
 * Layout (one folder per pipeline, as the landing folder wants it):
 * ```
 * sport_hr_directory/employees.csv         HR extract as CSV (one header line, RFC 4180 quoting)
 * sport_hr_directory/employees.xlsx        the same as HR sends it: sheets "employees" and "sports"
 * sport_declared_sports/declared-sports.csv
 * sport_activities/activities-YYYY-MM-DD.ndjson   one drop per day (and one late re-drop)
 * manifest.json                             counts, files with sha256, planted defects
 * ```
 */
import { createHash } from 'node:crypto';
import { assessCommute, CommuteMode, DEFAULT_SPORT_PARAMS, haversineKm, EARTH_RADIUS_KM, type GeoPoint } from '../core/sport-benefits';
import { mulberry32 } from '../core/seeded-random';

/** Where a planted defect must end once the pipelines run. */
export const DefectOutcome = {
  /** The row is quarantined with a reason naming `field`. */
  QUARANTINE: 'quarantine',
  /** A check fails (blocking or warning as stated) and the row is still handled as described. */
  CHECK: 'check',
  /** Rows sharing a key are deduplicated (last in source order wins), counted in the ledger. */
  DEDUPE: 'dedupe',
  /** The row loads, normalised (e.g. a commute-mode spelling mapped to its canonical value). */
  NORMALISE: 'normalise',
  /** The row loads with a flag for HR (e.g. a declared distance the coordinates contradict). */
  FLAG: 'flag',
} as const;
export type DefectOutcome = (typeof DefectOutcome)[keyof typeof DefectOutcome];

/** One planted defect, as tests read it from manifest.json. */
export interface PlantedDefect {
  readonly kind:
    | 'duplicate-employee-identical'
    | 'duplicate-employee-changed'
    | 'missing-salary'
    | 'unknown-employee-activity'
    | 'impossible-distance'
    | 'impossible-duration'
    | 'commute-mode-spelling'
    | 'activity-dropped-twice'
    | 'declared-distance-disagrees';
  /** Path relative to the output folder. */
  readonly file: string;
  /** 1-based line (CSV: the header is line 1; NDJSON: the first record is line 1). */
  readonly line: number;
  /** Other occurrences (the first copy of a duplicate). */
  readonly alsoAt?: readonly { readonly file: string; readonly line: number }[];
  readonly employeeId: string;
  readonly activityId?: string;
  /** The source field concerned. */
  readonly field: string;
  /** The value as written in the file. */
  readonly value: string | number | null;
  readonly expected: DefectOutcome;
  /** What must happen, in words (reason text, check name, rule). */
  readonly note: string;
}

export interface SportDatasetOptions {
  /** @default 13 */
  readonly seed?: number;
  /** Calendar year of the activities and the HR extract date (31 December). @default 2025 */
  readonly year?: number;
  /** Distinct employees. @default 160 */
  readonly employees?: number;
}

export interface GeneratedFile {
  /** Relative path, e.g. `sport_activities/activities-2025-01-01.ndjson`. */
  readonly path: string;
  readonly content: string;
  /** Data rows (CSV without header; NDJSON records). */
  readonly rows: number;
}

/** One employee as generated (the truth the files are written from). */
export interface GeneratedEmployee {
  readonly employeeId: string;
  readonly lastName: string;
  readonly firstName: string;
  readonly birthDate: string;
  readonly team: string;
  readonly hireDate: string;
  /** Decimal string with 2 places, or '' for the planted missing salary. */
  readonly grossAnnualSalary: string;
  readonly contractType: string;
  readonly paidLeaveDays: number;
  readonly address: string;
  readonly home: GeoPoint;
  /** As written in the extract (spelling variants included). */
  readonly commuteModeRaw: string;
  readonly commuteMode: CommuteMode;
  /** Declared distance in km, or null when not declared. */
  readonly declaredCommuteKm: number | null;
  readonly declaredSport: string | null;
}

/** One activity event as written to NDJSON (field names as in the file). */
export interface GeneratedActivity {
  readonly activity_id: string;
  readonly employee_id: string;
  /** Local time with the offset of Europe/Paris, e.g. `2025-06-12T07:42:00+02:00`. */
  readonly start_time: string;
  readonly sport: string;
  /** Metres; absent for sports without a distance. */
  readonly distance_m?: number;
  readonly elapsed_s: number;
  readonly comment?: string;
}

export interface SportDataset {
  readonly files: readonly GeneratedFile[];
  readonly employees: readonly GeneratedEmployee[];
  readonly manifest: SportManifest;
}

export interface SportManifest {
  readonly generator: string;
  readonly seed: number;
  readonly year: number;
  readonly office: GeoPoint;
  readonly timeZone: string;
  readonly teams: readonly string[];
  /** Distinct employee ids in the HR extract. */
  readonly employees: number;
  /** Data rows in the HR extract (duplicates included). */
  readonly hrRows: number;
  /** Activity records in all NDJSON drops (defects and the re-drop included). */
  readonly activityRecords: number;
  /** Distinct activity ids. */
  readonly distinctActivities: number;
  readonly files: readonly { readonly path: string; readonly rows: number; readonly sha256: string | null }[];
  readonly defects: readonly PlantedDefect[];
}

export const SPORT_PIPELINE_FOLDERS = {
  hr: 'sport_hr_directory',
  sports: 'sport_declared_sports',
  activities: 'sport_activities',
} as const;

export const HR_COLUMNS = [
  'employee_id',
  'last_name',
  'first_name',
  'birth_date',
  'team',
  'hire_date',
  'gross_annual_salary',
  'contract_type',
  'paid_leave_days',
  'address',
  'home_lat',
  'home_lon',
  'commute_mode',
  'declared_commute_km',
] as const;

export const SPORTS_COLUMNS = ['employee_id', 'sport'] as const;

const TIME_ZONE = 'Europe/Paris';

const rng = mulberry32;

const FIRST_NAMES = [
  'Léa', 'Hugo', 'Chloé', 'Lucas', 'Manon', 'Nathan', 'Inès', 'Théo', 'Camille', 'Louis', 'Zoë', 'Jérôme', 'Sarah', 'Karim', 'Amélie',
  'Yanis', 'Marie-Claire', 'Tom', 'Aïcha', 'Paul', 'Julie', 'Mehdi', 'Emma', 'Noah', 'Clara', 'Sacha', 'Océane', 'Malik', 'Anaïs', 'Victor',
  'Nora', 'Gaël', 'Lina', 'Bastien', 'Élodie', 'Rayan', 'Margaux', 'Quentin', 'Salomé', 'Ibrahim',
];
const LAST_NAMES = [
  'Martin', 'Bernard', 'Moreau', 'Lefèvre', 'Garnier', 'Rousseau', 'Blanchard', 'Guérin', 'Morel', 'Fournier', 'Girard', 'Bonnet', 'Dupuis',
  'Lambert', 'Fontaine', 'Chevalier', 'Robin', 'Masson', 'Sanchez', 'Nguyen', 'Benali', 'Perrin', 'Marchand', "D'Almeida", 'Le Goff', 'Renaud',
  'Caron', 'Mercier', 'Boyer', 'Roux', 'Kowalski', 'Haddad', 'Lemaire', 'Collin', 'Vidal', 'Barbier', 'Arnaud', 'Picard', 'Aubert', 'Tessier',
];
const STREETS = [
  'rue des Tilleuls', 'allée des Charmes', 'boulevard de la Prairie', 'rue du Moulin Rouge', 'impasse des Glycines', 'quai des Bateliers',
  'rue de la Fonderie', 'avenue des Platanes', 'chemin du Petit Bois', 'rue des Ardoisiers', 'place du Marché aux Fleurs', 'rue des Vanniers',
];
/** Made-up towns by distance band from the office. */
const TOWNS: readonly { maxKm: number; names: readonly string[] }[] = [
  { maxKm: 6, names: ['44000 Nantes'] },
  { maxKm: 15, names: ['44100 Bellerive-sur-Erdre', '44200 Saint-Aubin-des-Prés', '44300 Les Mauvettes'] },
  { maxKm: 30, names: ['44400 Rochebrune-la-Loire', '44500 Vallon-Saint-Jean', '44600 Port-Herbu'] },
  { maxKm: 1000, names: ['44700 Ker-Avel', '49100 Montreuil-les-Vignes', '85200 La Roche-Grise'] },
];

const TEAMS: readonly { name: string; size: number; salary: [number, number] }[] = [
  { name: 'Engineering', size: 42, salary: [42_000, 78_000] },
  { name: 'Sales', size: 30, salary: [34_000, 70_000] },
  { name: 'Operations', size: 28, salary: [28_000, 48_000] },
  { name: 'Customer Care', size: 24, salary: [26_000, 40_000] },
  { name: 'Finance', size: 18, salary: [38_000, 72_000] },
  { name: 'People', size: 18, salary: [34_000, 60_000] },
];

/** Sports an employee may declare, with what an activity of it looks like. */
const SPORTS: Readonly<Record<string, { speedKmh: [number, number]; minutes: [number, number]; distance: boolean }>> = {
  running: { speedKmh: [8.5, 13], minutes: [20, 80], distance: true },
  cycling: { speedKmh: [16, 28], minutes: [30, 150], distance: true },
  walking: { speedKmh: [4.2, 6], minutes: [25, 110], distance: true },
  hiking: { speedKmh: [3.2, 5], minutes: [90, 300], distance: true },
  swimming: { speedKmh: [1.8, 3.4], minutes: [25, 70], distance: true },
  yoga: { speedKmh: [0, 0], minutes: [30, 90], distance: false },
  climbing: { speedKmh: [0, 0], minutes: [60, 150], distance: false },
};
const SPORT_NAMES = Object.keys(SPORTS);

const COMMENTS = ['Belle sortie 🌞', 'Sous la pluie, mais fait !', 'New PB!', 'Avec l\'équipe "Lundi motivé"', 'Récup tranquille', 'Tough one 💪', 'Bords de Loire'];

/** Relative activity level per month (Jan … Dec): resolutions, spring and September peaks, winter dip. */
const SEASON = [0.9, 0.7, 0.85, 1.0, 1.15, 1.3, 1.1, 0.8, 1.2, 1.0, 0.75, 0.6];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The UTC offset of Europe/Paris at an instant, as `+01:00` / `+02:00` (Node's ICU time zone data). */
const OFFSET_FORMAT = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, timeZoneName: 'longOffset' });
function parisOffset(ms: number): string {
  const part = OFFSET_FORMAT.formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(part ?? '');
  if (!m) return '+00:00';
  return `${m[1]}:${m[2] ?? '00'}`;
}

/** The point `km` away from `from` at `bearingDeg`, on the sphere haversineKm measures on. */
function destination(from: GeoPoint, km: number, bearingDeg: number): GeoPoint {
  const rad = Math.PI / 180;
  const d = km / EARTH_RADIUS_KM;
  const b = bearingDeg * rad;
  const lat1 = from.lat * rad;
  const lon1 = from.lon * rad;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: Math.round((lat2 / rad) * 1e6) / 1e6, lon: Math.round((lon2 / rad) * 1e6) / 1e6 };
}

/** RFC 4180 field: quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLines(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header.join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n';
}

/** Distances (km) the generator keeps homes away from, so float noise never decides eligibility. */
const THRESHOLDS_KM = [12, 15, 20, 25];

/**
 * Generates the data set in memory. Deterministic: the same options give the same files.
 * Throws RangeError for fewer than 120 employees (the planted defects need their ids).
 */
export function generateSportDataset(opts: SportDatasetOptions = {}): SportDataset {
  const seed = opts.seed ?? 13;
  const year = opts.year ?? 2025;
  const count = opts.employees ?? 160;
  if (count < 120) throw new RangeError(`at least 120 employees are needed for the planted defects (ids up to E0103), got ${count}`);
  const rand = rng(seed);
  const between = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const int = (lo: number, hi: number) => Math.floor(between(lo, hi + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const office = DEFAULT_SPORT_PARAMS.office;

  // Teams scaled to the requested head count (the last team takes the remainder).
  const totalSize = TEAMS.reduce((s, t) => s + t.size, 0);
  const teamOf: { name: string; salary: [number, number] }[] = [];
  TEAMS.forEach((t, i) => {
    const n = i === TEAMS.length - 1 ? count - teamOf.length : Math.round((t.size * count) / totalSize);
    for (let k = 0; k < n; k++) teamOf.push(t);
  });

  const usedNames = new Set<string>();
  const employees: GeneratedEmployee[] = [];
  for (let i = 0; i < count; i++) {
    const employeeId = `E${pad(i + 1, 4)}`;
    let firstName: string;
    let lastName: string;
    do {
      firstName = pick(FIRST_NAMES);
      lastName = pick(LAST_NAMES);
    } while (usedNames.has(`${firstName} ${lastName}`));
    usedNames.add(`${firstName} ${lastName}`);
    const team = teamOf[i]!;
    const age = int(22, 62);
    const birthMs = Date.UTC(year - age, int(0, 11), int(1, 28));
    // Hired at 20 or later; one in 17 joins during the year (headcount grows month by month).
    const hireMs = i % 17 === 5 ? Date.UTC(year, int(0, 10), int(1, 28)) : Date.UTC(year - int(1, Math.min(17, age - 20)), int(0, 11), int(1, 28));
    const salaryCents = Math.round(between(team.salary[0], team.salary[1]) * 100) - (i % 3 === 0 ? 0 : int(0, 99));
    // Home: a distance band, then a point at that distance in a random direction.
    const band = rand();
    let km = band < 0.25 ? between(0.4, 6) : band < 0.55 ? between(6, 16) : band < 0.8 ? between(16, 30) : between(30, 60);
    let home = destination(office, km, between(0, 360));
    for (;;) {
      const d = haversineKm(home, office);
      if (!THRESHOLDS_KM.some((t) => Math.abs(d - t) < 0.08)) break;
      km += 0.2;
      home = destination(office, km, between(0, 360));
    }
    km = haversineKm(home, office);
    const r = rand();
    const commuteMode: CommuteMode =
      km <= 4
        ? r < 0.45 ? CommuteMode.WALKING_RUNNING : r < 0.8 ? CommuteMode.CYCLING_ACTIVE : r < 0.95 ? CommuteMode.PUBLIC_TRANSPORT : CommuteMode.CAR
        : km <= 16
          ? r < 0.12 ? CommuteMode.WALKING_RUNNING : r < 0.5 ? CommuteMode.CYCLING_ACTIVE : r < 0.75 ? CommuteMode.PUBLIC_TRANSPORT : CommuteMode.CAR
          : km <= 30
            ? r < 0.05 ? CommuteMode.WALKING_RUNNING : r < 0.3 ? CommuteMode.CYCLING_ACTIVE : r < 0.6 ? CommuteMode.PUBLIC_TRANSPORT : CommuteMode.CAR
            : r < 0.05 ? CommuteMode.CYCLING_ACTIVE : r < 0.4 ? CommuteMode.PUBLIC_TRANSPORT : CommuteMode.CAR;
    const canonicalSpelling: Record<CommuteMode, string> = {
      walking_running: 'walking/running',
      cycling_active: 'cycling',
      public_transport: 'public transport',
      car: 'car',
    };
    const declared = rand() < 0.12 ? null : Math.round((km + between(-0.6, 0.6)) * 2) / 2;
    const town = TOWNS.find((t) => km <= t.maxKm)!.names;
    employees.push({
      employeeId,
      lastName,
      firstName,
      birthDate: isoDay(birthMs),
      team: team.name,
      hireDate: isoDay(hireMs),
      grossAnnualSalary: `${Math.floor(salaryCents / 100)}.${pad(salaryCents % 100)}`,
      contractType: i % 19 === 7 ? 'CDD' : i % 23 === 11 ? 'apprenticeship' : 'CDI',
      paidLeaveDays: 25 + Math.min(6, Math.floor((Date.UTC(year, 11, 31) - hireMs) / (5 * 365.25 * 86_400_000))),
      address: `${int(1, 180)} ${pick(STREETS)}, ${pick(town)}`,
      home,
      commuteModeRaw: canonicalSpelling[commuteMode],
      commuteMode,
      declaredCommuteKm: declared !== null && declared < 0.5 ? 0.5 : declared,
      declaredSport: rand() < 0.82 ? pick(SPORT_NAMES) : null,
    });
  }

  // ---- Planted HR defects (ids chosen by rule so they exist for any count ≥ 120). ----
  const defects: PlantedDefect[] = [];
  const hrPath = `${SPORT_PIPELINE_FOLDERS.hr}/employees.csv`;
  const byId = (id: string) => employees.find((e) => e.employeeId === id)!;
  const replace = (id: string, patch: Partial<GeneratedEmployee>) => {
    const i = employees.findIndex((e) => e.employeeId === id);
    employees[i] = { ...employees[i]!, ...patch };
  };
  // Three spellings of cycling: "cycling" (canonical) plus "Bike " and "vélo" on two cyclists.
  const cyclists = employees.filter((e) => e.commuteMode === CommuteMode.CYCLING_ACTIVE).map((e) => e.employeeId);
  const spellingIds = [cyclists[1]!, cyclists[4]!];
  replace(spellingIds[0]!, { commuteModeRaw: 'Bike ' });
  replace(spellingIds[1]!, { commuteModeRaw: 'vélo' });
  // A walker who declares 9 km but lives ~19 km away (flagged, and not eligible: 19 > 15).
  const liar = 'E0055';
  const liarHome = destination(office, 19.3, 200);
  replace(liar, { commuteMode: CommuteMode.WALKING_RUNNING, commuteModeRaw: 'walking/running', home: liarHome, declaredCommuteKm: 9, address: `7 rue des Vanniers, ${TOWNS[2]!.names[0]}` });
  // A cyclist who declares 30 km but lives ~10 km away (flagged, still eligible by the computed distance).
  const overstater = 'E0088';
  replace(overstater, { commuteMode: CommuteMode.CYCLING_ACTIVE, commuteModeRaw: 'cycling', home: destination(office, 10.4, 35), declaredCommuteKm: 30 });
  // Missing salary.
  const noSalary = 'E0103';
  replace(noSalary, { grossAnnualSalary: '' });

  // HR rows in file order: every employee, E0042 twice (identical), E0077 twice (moved: new address wins).
  const hrRow = (e: GeneratedEmployee) => [
    e.employeeId, e.lastName, e.firstName, e.birthDate, e.team, e.hireDate, e.grossAnnualSalary, e.contractType, e.paidLeaveDays,
    e.address, e.home.lat.toFixed(6), e.home.lon.toFixed(6), e.commuteModeRaw, e.declaredCommuteKm === null ? '' : e.declaredCommuteKm,
  ];
  const hrRows: GeneratedEmployee[] = [...employees];
  const dupSame = byId('E0042');
  hrRows.splice(97, 0, dupSame);
  const moved = byId('E0077');
  const movedHome = destination(office, 3.1, 120);
  const movedRow: GeneratedEmployee = { ...moved, address: `3 quai des Bateliers, ${TOWNS[0]!.names[0]}`, home: movedHome, declaredCommuteKm: 3 };
  hrRows.splice(140, 0, movedRow);
  // The truth after "last row wins": E0077 has moved.
  replace('E0077', { address: movedRow.address, home: movedHome, declaredCommuteKm: 3 });
  const lineOf = (pred: (e: GeneratedEmployee, i: number) => boolean, nth = 0) => {
    const idx = hrRows.map((e, i) => (pred(e, i) ? i : -1)).filter((i) => i >= 0);
    return idx[nth]! + 2; // header is line 1
  };
  defects.push({
    kind: 'duplicate-employee-identical', file: hrPath, line: lineOf((e) => e.employeeId === 'E0042', 1),
    alsoAt: [{ file: hrPath, line: lineOf((e) => e.employeeId === 'E0042', 0) }], employeeId: 'E0042', field: 'employee_id', value: 'E0042',
    expected: DefectOutcome.DEDUPE, note: 'the same row twice: the uniqueness check of HR ids reports it (warning) and one row is loaded, one counted as deduplicated',
  });
  defects.push({
    kind: 'duplicate-employee-changed', file: hrPath, line: lineOf((e) => e.employeeId === 'E0077', 1),
    alsoAt: [{ file: hrPath, line: lineOf((e) => e.employeeId === 'E0077', 0) }], employeeId: 'E0077', field: 'employee_id', value: 'E0077',
    expected: DefectOutcome.DEDUPE, note: 'two rows for one id with different addresses: the uniqueness check reports it, the last row in source order wins (the new address)',
  });
  defects.push({
    kind: 'missing-salary', file: hrPath, line: lineOf((e) => e.employeeId === noSalary), employeeId: noSalary, field: 'gross_annual_salary', value: '',
    expected: DefectOutcome.QUARANTINE, note: 'quarantined naming gross_annual_salary (missing value); the completeness check of HR ids then misses one id',
  });
  spellingIds.forEach((id, k) =>
    defects.push({
      kind: 'commute-mode-spelling', file: hrPath, line: lineOf((e) => e.employeeId === id), employeeId: id, field: 'commute_mode',
      value: k === 0 ? 'Bike ' : 'vélo', expected: DefectOutcome.NORMALISE, note: 'a third and fourth spelling of "cycling": loads as cycling_active',
    }),
  );
  for (const [id, declaredKm] of [[liar, 9], [overstater, 30]] as const) {
    const e = byId(id);
    const a = assessCommute({ mode: e.commuteMode, home: e.home, declaredKm }, DEFAULT_SPORT_PARAMS);
    defects.push({
      kind: 'declared-distance-disagrees', file: hrPath, line: lineOf((x) => x.employeeId === id), employeeId: id, field: 'declared_commute_km', value: declaredKm,
      expected: DefectOutcome.FLAG, note: `declared ${declaredKm} km, computed ${(a.distanceM / 1000).toFixed(1)} km: flagged, eligibility ${a.eligible ? 'granted' : 'refused'} on the computed distance`,
    });
  }

  const hrCsv = csvLines(HR_COLUMNS, hrRows.map(hrRow));
  const sportsCsv = csvLines(SPORTS_COLUMNS, employees.filter((e) => e.declaredSport).map((e) => [e.employeeId, e.declaredSport]));

  // ---- A year of activities. ----
  // Each employee's weekly rate: a third never log anything, the rest from occasional to keen.
  const rate = new Map<string, number>();
  for (const e of employees) {
    const r = rand();
    rate.set(e.employeeId, r < 0.33 ? 0 : r < 0.55 ? between(0.15, 0.45) : r < 0.85 ? between(0.45, 1.6) : between(1.6, 4));
  }
  const perDay = new Map<string, GeneratedActivity[]>();
  let seq = 0;
  const startMs = Date.UTC(year, 0, 1);
  const days = Math.round((Date.UTC(year + 1, 0, 1) - startMs) / 86_400_000);
  for (let d = 0; d < days; d++) {
    const dayMs = startMs + d * 86_400_000;
    const date = new Date(dayMs);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    const season = SEASON[date.getUTCMonth()]!;
    const list: GeneratedActivity[] = [];
    // Activities start between 06:30 and 20:30 local time, hours after a DST switch (01:00 UTC).
    const offset = parisOffset(dayMs + 12 * 3_600_000);
    for (const e of employees) {
      if (e.hireDate > isoDay(dayMs)) continue;
      const p = Math.min(0.9, ((rate.get(e.employeeId) ?? 0) / 7) * season * (weekend ? 1.6 : 0.85));
      if (rand() >= p) continue;
      const sport = e.declaredSport && rand() < 0.75 ? e.declaredSport : pick(SPORT_NAMES);
      const spec = SPORTS[sport]!;
      const minutes = between(spec.minutes[0], spec.minutes[1]);
      const localMinute = weekend ? int(8 * 60, 17 * 60) : pick([int(6 * 60 + 30, 8 * 60 + 30), int(12 * 60, 13 * 60), int(17 * 60 + 30, 20 * 60 + 30)]);

      const activity: GeneratedActivity = {
        activity_id: `ACT-${year}-${pad(++seq, 6)}`,
        employee_id: e.employeeId,
        start_time: `${isoDay(dayMs)}T${pad(Math.floor(localMinute / 60))}:${pad(localMinute % 60)}:00${offset}`,
        sport,
        ...(spec.distance ? { distance_m: Math.round((between(spec.speedKmh[0], spec.speedKmh[1]) * minutes * 1000) / 60) } : {}),
        elapsed_s: Math.round(minutes * 60),
        ...(rand() < 0.18 ? { comment: pick(COMMENTS) } : {}),
      };
      list.push(activity);
    }
    list.sort((a, b) => (a.start_time < b.start_time ? -1 : a.start_time > b.start_time ? 1 : a.activity_id < b.activity_id ? -1 : 1));
    perDay.set(isoDay(dayMs), list);
  }

  // ---- Planted activity defects. ----
  const dayFile = (day: string) => `${SPORT_PIPELINE_FOLDERS.activities}/activities-${day}.ndjson`;
  const plantOn = (day: string, a: GeneratedActivity) => {
    const list = perDay.get(day)!;
    list.push(a);
    return { file: dayFile(day), line: list.length };
  };
  const tz = (day: string) => parisOffset(Date.parse(`${day}T12:00:00Z`));
  const d1 = `${year}-03-18`;
  const unknown = { activity_id: `ACT-${year}-900001`, employee_id: 'E9999', start_time: `${d1}T18:05:00${tz(d1)}`, sport: 'running', distance_m: 8200, elapsed_s: 2700 };
  const u = plantOn(d1, unknown);
  defects.push({
    kind: 'unknown-employee-activity', ...u, employeeId: 'E9999', activityId: unknown.activity_id, field: 'employee_id', value: 'E9999',
    expected: DefectOutcome.QUARANTINE, note: 'no such employee in the HR directory: the activity is quarantined (reason: unknown employee) and the reference check reports it; it never counts in a KPI',
  });
  const d2 = `${year}-05-07`;
  const fast = { activity_id: `ACT-${year}-900002`, employee_id: 'E0012', start_time: `${d2}T07:10:00${tz(d2)}`, sport: 'running', distance_m: 250_000, elapsed_s: 2640 };
  const f = plantOn(d2, fast);
  defects.push({
    kind: 'impossible-distance', ...f, employeeId: 'E0012', activityId: fast.activity_id, field: 'distance_m', value: 250_000,
    expected: DefectOutcome.QUARANTINE, note: '250 km of running in 44 min (341 km/h): quarantined naming distance_m (speed above the sport\'s limit)',
  });
  const d3 = `${year}-08-21`;
  const long = { activity_id: `ACT-${year}-900003`, employee_id: 'E0031', start_time: `${d3}T09:00:00${tz(d3)}`, sport: 'walking', distance_m: 6000, elapsed_s: 93_600 };
  const l = plantOn(d3, long);
  defects.push({
    kind: 'impossible-duration', ...l, employeeId: 'E0031', activityId: long.activity_id, field: 'elapsed_s', value: 93_600,
    expected: DefectOutcome.QUARANTINE, note: '26 h of walking: quarantined naming elapsed_s (more than 24 h)',
  });
  // One real activity dropped again in a late file of the same day.
  const d4 = `${year}-06-12`;
  const original = perDay.get(d4)![0];
  if (!original) throw new Error(`no activity on ${d4} to drop twice (seed ${seed}): choose another seed`);
  const origLine = perDay.get(d4)!.indexOf(original) + 1;
  const files: GeneratedFile[] = [];
  const lateFile = `${SPORT_PIPELINE_FOLDERS.activities}/activities-${d4}-late.ndjson`;
  defects.push({
    kind: 'activity-dropped-twice', file: lateFile, line: 1, alsoAt: [{ file: dayFile(d4), line: origLine }], employeeId: original.employee_id,
    activityId: original.activity_id, field: 'activity_id', value: original.activity_id, expected: DefectOutcome.DEDUPE,
    note: 'the same activity in two drops: loaded once (the other counted as deduplicated) and posted to Slack once',
  });

  files.push({ path: hrPath, content: hrCsv, rows: hrRows.length });
  files.push({ path: `${SPORT_PIPELINE_FOLDERS.sports}/declared-sports.csv`, content: sportsCsv, rows: employees.filter((e) => e.declaredSport).length });
  let records = 0;
  const ids = new Set<string>();
  for (const [day, list] of perDay) {
    files.push({ path: dayFile(day), content: list.map((a) => JSON.stringify(a)).join('\n') + (list.length ? '\n' : ''), rows: list.length });
    records += list.length;
    for (const a of list) ids.add(a.activity_id);
  }
  files.push({ path: lateFile, content: `${JSON.stringify(original)}\n`, rows: 1 });
  records += 1;

  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const manifest: SportManifest = {
    generator: 'scripts/generate-sport.ts',
    seed,
    year,
    office,
    timeZone: TIME_ZONE,
    teams: TEAMS.map((t) => t.name),
    employees: employees.length,
    hrRows: hrRows.length,
    activityRecords: records,
    distinctActivities: ids.size,
    files: [
      ...files.map((x) => ({ path: x.path, rows: x.rows, sha256: sha(x.content) })),
      { path: `${SPORT_PIPELINE_FOLDERS.hr}/employees.xlsx`, rows: hrRows.length, sha256: null },
    ],
    defects,
  };
  return { files, employees, manifest };
}
