/**
 * The sport-benefit scheme's business rules (issue 13), pure and parameterised: commute distance,
 * bonus eligibility, bonus amount, wellness days and their cost. Every threshold, rate and place is a
 * {@link SportBenefitParams} value, so a rule change is a params change (a replay), never a code change.
 *
 * Money stays exact: amounts are decimal strings ("42350.00") computed with BigInt, rounded once to
 * the cent, half away from zero — the rounding of PostgreSQL's `round(numeric, 2)`, so a SQL check
 * can recompute every amount and compare it for equality. core/ may import no library (it must stay
 * bundle-safe for workflows), and one multiplication plus one rounded division on BigInt needs none.
 */

/** Canonical commute modes of the HR extract. */
export const CommuteMode = {
  /** Walking or running: eligible up to `maxWalkKm`. */
  WALKING_RUNNING: 'walking_running',
  /** Cycling, scooter or another active mode: eligible up to `maxCycleKm`. */
  CYCLING_ACTIVE: 'cycling_active',
  PUBLIC_TRANSPORT: 'public_transport',
  CAR: 'car',
} as const;
export type CommuteMode = (typeof CommuteMode)[keyof typeof CommuteMode];

/**
 * Spellings HR uses for each mode, compared after {@link foldSpelling} (case, accents, spaces,
 * hyphens and underscores ignored). Anything else is refused, not guessed.
 */
const COMMUTE_SPELLINGS: Readonly<Record<CommuteMode, readonly string[]>> = {
  walking_running: ['walking_running', 'walking', 'walk', 'running', 'run', 'on foot', 'foot', 'a pied', 'marche', 'course a pied', 'walking/running'],
  cycling_active: ['cycling_active', 'cycling', 'bike', 'bicycle', 'velo', 'scooter', 'trottinette', 'other active', 'active other', 'cycling/scooter'],
  public_transport: ['public_transport', 'public transport', 'transit', 'transports en commun', 'bus', 'metro', 'train', 'tram'],
  car: ['car', 'voiture', 'automobile', 'motorbike', 'moto'],
};

/** Lower case, accents removed, runs of spaces/_/- as one space, trimmed. */
export function foldSpelling(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

const SPELLING_TO_MODE: ReadonlyMap<string, CommuteMode> = new Map(
  (Object.entries(COMMUTE_SPELLINGS) as [CommuteMode, readonly string[]][]).flatMap(([mode, spellings]) => spellings.map((s) => [foldSpelling(s), mode] as const)),
);

/**
 * The canonical mode of an HR spelling ("Bike ", "vélo", "cycling" → `cycling_active`), or
 * `undefined` when the spelling is unknown (the row is then quarantined naming the field).
 */
export function normalizeCommuteMode(raw: string): CommuteMode | undefined {
  return SPELLING_TO_MODE.get(foldSpelling(raw));
}

/** A point in WGS84 degrees. */
export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

/**
 * Mean Earth radius in km, R1 = (2a + b) / 3 of WGS84 (IUGG; H. Moritz, "Geodetic Reference System
 * 1980", Bulletin Géodésique 54, 1980).
 */
export const EARTH_RADIUS_KM = 6371.0088;

/**
 * Great-circle distance in km by the haversine formula (R. W. Sinnott, "Virtues of the Haversine",
 * Sky and Telescope 68(2), 1984, p. 159) on a sphere of radius {@link EARTH_RADIUS_KM}.
 *
 * Why not an ellipsoidal (Karney/Vincenty) distance: the sphere is within 0.5 % of WGS84, i.e. under
 * 75 m at the 15 km threshold, far below the precision of a home address; and the same formula is
 * one line of SQL, so the eligibility check re-verifies it in PostgreSQL with the same result
 * (see {@link HAVERSINE_SQL}). Throws RangeError for coordinates outside [-90, 90] × [-180, 180].
 */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  for (const p of [a, b]) {
    if (!Number.isFinite(p.lat) || !Number.isFinite(p.lon) || Math.abs(p.lat) > 90 || Math.abs(p.lon) > 180) {
      throw new RangeError(`coordinates out of range: ${p.lat}, ${p.lon}`);
    }
  }
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The same distance in PostgreSQL, in whole metres, over columns or parameters named by the caller:
 * `HAVERSINE_SQL('home_lat', 'home_lon', '$1', '$2')`. Arguments are SQL expressions written by the
 * code (never user input).
 */
export function HAVERSINE_SQL(lat1: string, lon1: string, lat2: string, lon2: string): string {
  return `round(2 * ${EARTH_RADIUS_KM} * 1000 * asin(least(1, sqrt(power(sin(radians(${lat2} - ${lat1}) / 2), 2) + cos(radians(${lat1})) * cos(radians(${lat2})) * power(sin(radians(${lon2} - ${lon1}) / 2), 2)))))`;
}

/** The scheme's rules as data: a change here is a replay of the derived datasets, not a code change. */
export interface SportBenefitParams {
  /** Bonus as a fraction of gross annual salary, a decimal string. @default "0.05" */
  readonly bonusRate: string;
  /** Greatest home–office distance for walking/running commuters, km (inclusive). @default 15 */
  readonly maxWalkKm: number;
  /** Greatest home–office distance for cycling/scooter/other active commuters, km (inclusive). @default 25 */
  readonly maxCycleKm: number;
  /** The office, WGS84 degrees. @default Nantes, 47.2131, -1.5481 (synthetic demo company) */
  readonly office: GeoPoint;
  /**
   * A declared commute distance farther than this from the computed one is flagged (and not used).
   * @default 2
   */
  readonly declaredDistanceToleranceKm: number;
  /** Activities in a calendar year that earn the wellness days (inclusive). @default 15 */
  readonly wellnessMinActivities: number;
  /** Wellness days granted when the threshold is reached. @default 5 */
  readonly wellnessDays: number;
  /**
   * Divisor of the gross annual salary that gives the daily salary. @default 218 — the French
   * "forfait jours" ceiling of worked days per year (Code du travail, art. L3121-64), the usual
   * basis of a daily rate for salaried staff in France. 365 (calendar days) is the other common one.
   */
  readonly workingDaysPerYear: number;
  /** A month's cost moving more than this percentage from the previous month raises a warning. @default 25 */
  readonly costDriftPct: number;
}

/** The defaults documented on {@link SportBenefitParams}. */
export const DEFAULT_SPORT_PARAMS: SportBenefitParams = Object.freeze({
  bonusRate: '0.05',
  maxWalkKm: 15,
  maxCycleKm: 25,
  office: Object.freeze({ lat: 47.2131, lon: -1.5481 }),
  declaredDistanceToleranceKm: 2,
  wellnessMinActivities: 15,
  wellnessDays: 5,
  workingDaysPerYear: 218,
  costDriftPct: 25,
});

/** What HR says about one employee's commute. */
export interface CommuteInput {
  readonly mode: CommuteMode;
  readonly home: GeoPoint;
  /** Distance the employee declared, km; absent when not declared. */
  readonly declaredKm?: number | null;
}

/** Why an employee is or is not eligible for the bonus. */
export const EligibilityReason = {
  ELIGIBLE: 'eligible',
  NOT_ACTIVE_MODE: 'commute mode is not active',
  TOO_FAR: 'home farther than the limit of the mode',
} as const;
export type EligibilityReason = (typeof EligibilityReason)[keyof typeof EligibilityReason];

export interface CommuteAssessment {
  /** Home–office distance computed from coordinates, whole metres. */
  readonly distanceM: number;
  /** Limit of the mode in metres, or null for a non-active mode. */
  readonly limitM: number | null;
  readonly eligible: boolean;
  readonly reason: EligibilityReason;
  /**
   * The declared distance disagrees with the computed one by more than the tolerance: flagged for
   * HR, and not trusted (eligibility always uses the computed distance).
   */
  readonly declaredDistanceFlag: boolean;
}

/**
 * Bonus eligibility from the commute: an active mode and the computed home–office distance within
 * the mode's limit (≤ maxWalkKm on foot/running, ≤ maxCycleKm by bike/scooter/other active). The
 * distance is compared in whole metres, as the SQL re-verification computes it.
 */
export function assessCommute(input: CommuteInput, params: SportBenefitParams): CommuteAssessment {
  const distanceM = Math.round(haversineKm(input.home, params.office) * 1000);
  const limitKm = input.mode === CommuteMode.WALKING_RUNNING ? params.maxWalkKm : input.mode === CommuteMode.CYCLING_ACTIVE ? params.maxCycleKm : null;
  const limitM = limitKm === null ? null : Math.round(limitKm * 1000);
  const eligible = limitM !== null && distanceM <= limitM;
  const reason = limitM === null ? EligibilityReason.NOT_ACTIVE_MODE : eligible ? EligibilityReason.ELIGIBLE : EligibilityReason.TOO_FAR;
  const declared = input.declaredKm;
  const declaredDistanceFlag =
    declared !== undefined && declared !== null && Math.abs(declared * 1000 - distanceM) > params.declaredDistanceToleranceKm * 1000;
  return { distanceM, limitM, eligible, reason, declaredDistanceFlag };
}

/** Thrown when a money or rate string is not a plain decimal. */
export class DecimalFormatError extends Error {
  override readonly name = 'DecimalFormatError';
}

/** A decimal as an integer of units of 10^-scale: "42350.5" → { units: 423505n, scale: 1 }. */
interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

function parseDecimal(s: string, what: string): Scaled {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) throw new DecimalFormatError(`${what}: not a plain decimal: ${JSON.stringify(s)}`);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

/** n / d rounded half away from zero (d > 0). */
function divRoundHalfAway(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = (2n * a + d) / (2n * d);
  return neg ? -q : q;
}

function centsToString(cents: bigint): string {
  const neg = cents < 0n;
  const a = neg ? -cents : cents;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

/**
 * `numerator(s) × factor / divisor`, exact, rounded once to the cent half away from zero (as
 * PostgreSQL's `round(numeric, 2)`), as a string with two decimals. Throws DecimalFormatError.
 */
function scaleToCents(value: Scaled, factor: Scaled, divisor: bigint): string {
  // value × factor has scale value.scale + factor.scale; cents = that × 100 / 10^scale / divisor.
  const scale = value.scale + factor.scale;
  return centsToString(divRoundHalfAway(value.units * factor.units * 100n, 10n ** BigInt(scale) * divisor));
}

/**
 * The annual bonus: `rate × gross annual salary`, exact, rounded once to the cent (half away from
 * zero), e.g. bonusAmount("42350.50", "0.05") = "2117.53". Throws DecimalFormatError on a
 * malformed amount or rate, RangeError on a negative one.
 */
export function bonusAmount(grossAnnualSalary: string, rate: string): string {
  const salary = parseDecimal(grossAnnualSalary, 'gross annual salary');
  const r = parseDecimal(rate, 'bonus rate');
  if (salary.units < 0n || r.units < 0n) throw new RangeError(`negative salary or rate: ${grossAnnualSalary} × ${rate}`);
  return scaleToCents(salary, r, 1n);
}

/** Wellness days earned for `activityCount` activities in a calendar year: all or nothing. */
export function wellnessDaysEarned(activityCount: number, params: Pick<SportBenefitParams, 'wellnessMinActivities' | 'wellnessDays'>): number {
  return activityCount >= params.wellnessMinActivities ? params.wellnessDays : 0;
}

/**
 * Cost of `days` wellness days: `days × gross annual salary / workingDaysPerYear`, exact, rounded
 * once at the end (not per day) to the cent, half away from zero — in SQL
 * `round(days * salary / working_days, 2)`. Throws DecimalFormatError, RangeError.
 */
export function wellnessCost(grossAnnualSalary: string, days: number, params: Pick<SportBenefitParams, 'workingDaysPerYear'>): string {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`days must be a non-negative integer, got ${days}`);
  if (!Number.isInteger(params.workingDaysPerYear) || params.workingDaysPerYear <= 0) {
    throw new RangeError(`workingDaysPerYear must be a positive integer, got ${params.workingDaysPerYear}`);
  }
  const salary = parseDecimal(grossAnnualSalary, 'gross annual salary');
  if (salary.units < 0n) throw new RangeError(`negative salary: ${grossAnnualSalary}`);
  return scaleToCents(salary, { units: BigInt(days), scale: 0 }, BigInt(params.workingDaysPerYear));
}

/**
 * Whether a month's cost moved more than `pct` percent from the previous month's (cost drift). A
 * previous cost of zero drifts whenever the new cost is not zero. Exact on decimal strings.
 */
export function costDrifted(previous: string, current: string, pct: number): boolean {
  const p = parseDecimal(previous, 'previous cost');
  const c = parseDecimal(current, 'current cost');
  const scale = Math.max(p.scale, c.scale);
  const pu = p.units * 10n ** BigInt(scale - p.scale);
  const cu = c.units * 10n ** BigInt(scale - c.scale);
  if (pu === 0n) return cu !== 0n;
  const diff = cu > pu ? cu - pu : pu - cu;
  const abs = pu < 0n ? -pu : pu;
  // |c − p| / |p| > pct / 100, with pct given to at most 6 decimals.
  const pctMicro = BigInt(Math.round(pct * 1e6));
  return diff * 100n * 1_000_000n > abs * pctMicro;
}

/** Where a notification comes from: a run of fresh data, or history (backfill, replay, late data). */
export const NotificationOrigin = { LIVE: 'live', HISTORY: 'history' } as const;
export type NotificationOrigin = (typeof NotificationOrigin)[keyof typeof NotificationOrigin];

/**
 * Whether an activity's post is live or history: a backfill (or any replay) is history, and so is
 * an activity that started more than `maxAgeMs` before the run (a late drop is not news). History is
 * recorded in the notification ledger as suppressed, never posted — so a later live run of the same
 * partition does not post it either. @default maxAgeMs 36 h
 */
export function notificationOrigin(opts: { trigger: string; eventMs: number; nowMs: number; maxAgeMs?: number }): NotificationOrigin {
  if (opts.trigger === 'backfill' || opts.trigger === 'replay') return NotificationOrigin.HISTORY;
  return opts.nowMs - opts.eventMs > (opts.maxAgeMs ?? 36 * 3_600_000) ? NotificationOrigin.HISTORY : NotificationOrigin.LIVE;
}

/**
 * The cheer posted for one activity: "Bravo Léa! 10.8 km of running in 46 min". Distance in km with
 * one decimal when known; duration in minutes (hours and minutes from 60 min on).
 */
export function activityMessage(a: { firstName: string; sport: string; distanceM?: number | null; elapsedS: number }): string {
  const mins = Math.round(a.elapsedS / 60);
  const duration = mins >= 60 ? `${Math.floor(mins / 60)} h ${String(mins % 60).padStart(2, '0')}` : `${mins} min`;
  const sport = a.sport.replace(/_/g, ' ');
  if (a.distanceM !== undefined && a.distanceM !== null && a.distanceM > 0) {
    return `Bravo ${a.firstName}! ${(Math.round(a.distanceM / 100) / 10).toFixed(1)} km of ${sport} in ${duration}`;
  }
  return `Bravo ${a.firstName}! ${duration} of ${sport}`;
}
