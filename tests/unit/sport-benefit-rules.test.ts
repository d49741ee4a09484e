/**
 * The sport-benefit rules (core/sport-benefits.ts): commute-mode spellings, haversine distance
 * against known distances, eligibility on both sides of each limit, declared distances flagged,
 * bonus and wellness cost exact to the cent with PostgreSQL's rounding, cost drift, history vs live
 * notifications, and the cheer message.
 */
import { describe, expect, it } from 'vitest';
import {
  activityMessage,
  assessCommute,
  bonusAmount,
  CommuteMode,
  costDrifted,
  DecimalFormatError,
  DEFAULT_SPORT_PARAMS,
  EligibilityReason,
  haversineKm,
  normalizeCommuteMode,
  notificationOrigin,
  wellnessCost,
  wellnessDaysEarned,
  type GeoPoint,
} from '../../core/sport-benefits';

const P = DEFAULT_SPORT_PARAMS;

/** The point `km` due north of the office (1° of latitude = R·π/180 km on the sphere). */
function north(km: number): GeoPoint {
  return { lat: P.office.lat + (km / 6371.0088) * (180 / Math.PI), lon: P.office.lon };
}

describe('commute modes', () => {
  it('maps every spelling HR uses to one canonical mode and refuses the unknown', () => {
    for (const s of ['cycling', 'Bike ', 'vélo', 'VELO', 'scooter', 'Cycling/Scooter']) expect(normalizeCommuteMode(s), s).toBe(CommuteMode.CYCLING_ACTIVE);
    for (const s of ['walking/running', 'Walking', 'à pied', 'running']) expect(normalizeCommuteMode(s), s).toBe(CommuteMode.WALKING_RUNNING);
    expect(normalizeCommuteMode('public transport')).toBe(CommuteMode.PUBLIC_TRANSPORT);
    expect(normalizeCommuteMode('public_transport')).toBe(CommuteMode.PUBLIC_TRANSPORT);
    expect(normalizeCommuteMode('Car')).toBe(CommuteMode.CAR);
    for (const s of ['', 'teleport', 'bikes', 'c ar']) expect(normalizeCommuteMode(s), s).toBeUndefined();
  });
});

describe('haversine distance', () => {
  it('matches known great-circle distances', () => {
    // Paris (Notre-Dame) – London (Charing Cross): 343.5 km on the mean-radius sphere.
    expect(haversineKm({ lat: 48.853, lon: 2.3499 }, { lat: 51.5073, lon: -0.12755 })).toBeCloseTo(343.5, 0);
    // A quarter of a meridian: R·π/2.
    expect(haversineKm({ lat: 0, lon: 0 }, { lat: 90, lon: 0 })).toBeCloseTo((6371.0088 * Math.PI) / 2, 6);
    expect(haversineKm(P.office, P.office)).toBe(0);
    expect(haversineKm(P.office, north(15))).toBeCloseTo(15, 9);
  });
  it('refuses coordinates out of range', () => {
    expect(() => haversineKm({ lat: 91, lon: 0 }, P.office)).toThrow(RangeError);
    expect(() => haversineKm({ lat: 0, lon: Number.NaN }, P.office)).toThrow(/out of range/);
  });
});

describe('bonus eligibility', () => {
  it('walking/running: eligible at exactly 15 km, not at 15.001 km', () => {
    expect(assessCommute({ mode: CommuteMode.WALKING_RUNNING, home: north(15) }, P)).toMatchObject({ distanceM: 15000, limitM: 15000, eligible: true, reason: EligibilityReason.ELIGIBLE });
    expect(assessCommute({ mode: CommuteMode.WALKING_RUNNING, home: north(15.001) }, P)).toMatchObject({ distanceM: 15001, eligible: false, reason: EligibilityReason.TOO_FAR });
  });
  it('cycling/scooter: eligible up to 25 km', () => {
    expect(assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(24.999) }, P).eligible).toBe(true);
    expect(assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(25.002) }, P).eligible).toBe(false);
    // The same 20 km: eligible by bike, too far on foot.
    expect(assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(20) }, P).eligible).toBe(true);
    expect(assessCommute({ mode: CommuteMode.WALKING_RUNNING, home: north(20) }, P).eligible).toBe(false);
  });
  it('public transport and car are never eligible, however close', () => {
    for (const mode of [CommuteMode.PUBLIC_TRANSPORT, CommuteMode.CAR]) {
      expect(assessCommute({ mode, home: north(0.3) }, P)).toMatchObject({ eligible: false, limitM: null, reason: EligibilityReason.NOT_ACTIVE_MODE });
    }
  });
  it('limits are params: 12 km on foot makes a 13 km walker ineligible', () => {
    expect(assessCommute({ mode: CommuteMode.WALKING_RUNNING, home: north(13) }, P).eligible).toBe(true);
    expect(assessCommute({ mode: CommuteMode.WALKING_RUNNING, home: north(13) }, { ...P, maxWalkKm: 12 }).eligible).toBe(false);
  });
  it('flags a declared distance the coordinates contradict, and decides on the computed one', () => {
    const liar = assessCommute({ mode: CommuteMode.WALKING_RUNNING, home: north(19), declaredKm: 9 }, P);
    expect(liar).toMatchObject({ declaredDistanceFlag: true, eligible: false, distanceM: 19000 });
    const modest = assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(10), declaredKm: 30 }, P);
    expect(modest).toMatchObject({ declaredDistanceFlag: true, eligible: true });
    // Within the 2 km tolerance (inclusive), or not declared: no flag.
    expect(assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(10), declaredKm: 12 }, P).declaredDistanceFlag).toBe(false);
    expect(assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(10), declaredKm: 12.5 }, P).declaredDistanceFlag).toBe(true);
    expect(assessCommute({ mode: CommuteMode.CYCLING_ACTIVE, home: north(10), declaredKm: null }, P).declaredDistanceFlag).toBe(false);
  });
});

describe('bonus amount', () => {
  it('is rate × salary exact to the cent, rounded half away from zero like round(numeric, 2)', () => {
    expect(bonusAmount('42350.50', '0.05')).toBe('2117.53'); // 2117.525
    expect(bonusAmount('42350.30', '0.05')).toBe('2117.52'); // 2117.515
    expect(bonusAmount('42350.10', '0.05')).toBe('2117.51'); // 2117.505
    expect(bonusAmount('42350.42', '0.04')).toBe('1694.02'); // 1694.0168
    expect(bonusAmount('0', '0.05')).toBe('0.00');
    expect(bonusAmount('60000', '0.05')).toBe('3000.00');
    // No float on the way: 0.1 × 3 would be 0.30000000000000004 in floats.
    expect(bonusAmount('3', '0.1')).toBe('0.30');
    // A salary beyond 2^53 cents stays exact.
    expect(bonusAmount('523189076432153.91', '0.05')).toBe('26159453821607.70');
  });
  it('refuses malformed and negative amounts', () => {
    expect(() => bonusAmount('42 350,50', '0.05')).toThrow(DecimalFormatError);
    expect(() => bonusAmount('', '0.05')).toThrow(/gross annual salary: not a plain decimal/);
    expect(() => bonusAmount('1e3', '0.05')).toThrow(DecimalFormatError);
    expect(() => bonusAmount('-100', '0.05')).toThrow(RangeError);
  });
});

describe('wellness days and their cost', () => {
  it('5 days from the 15th activity of the year, none before (threshold is a param)', () => {
    expect(wellnessDaysEarned(14, P)).toBe(0);
    expect(wellnessDaysEarned(15, P)).toBe(5);
    expect(wellnessDaysEarned(120, P)).toBe(5);
    expect(wellnessDaysEarned(12, { ...P, wellnessMinActivities: 12 })).toBe(5);
  });
  it('costs days × annual salary / 218, rounded once at the end', () => {
    // 5 × 43600 / 218 = 1000 exactly.
    expect(wellnessCost('43600.00', 5, P)).toBe('1000.00');
    // 5 × 42350.57 / 218 = 971.3433... → 971.34 (rounding per day would give 5 × 194.27 = 971.35).
    expect(wellnessCost('42350.57', 5, P)).toBe('971.34');
    expect(wellnessCost('42350.57', 5, { workingDaysPerYear: 365 })).toBe('580.14'); // 580.1448
    expect(wellnessCost('42350.57', 0, P)).toBe('0.00');
    expect(() => wellnessCost('42350.57', 1.5, P)).toThrow(RangeError);
    expect(() => wellnessCost('42350.57', 5, { workingDaysPerYear: 0 })).toThrow(RangeError);
  });
});

describe('cost drift', () => {
  it('warns when a month moves more than the percentage, either way, exactly', () => {
    expect(costDrifted('1000.00', '1250.00', 25)).toBe(false);
    expect(costDrifted('1000.00', '1250.01', 25)).toBe(true);
    expect(costDrifted('1000.00', '749.99', 25)).toBe(true);
    expect(costDrifted('1000.00', '750.00', 25)).toBe(false);
    expect(costDrifted('0', '0.00', 25)).toBe(false);
    expect(costDrifted('0', '0.01', 25)).toBe(true);
  });
});

describe('notifications: live or history', () => {
  const now = Date.parse('2025-06-12T18:00:00Z');
  it('a backfill or replay is history; so is an activity older than the max age', () => {
    expect(notificationOrigin({ trigger: 'backfill', eventMs: now - 60_000, nowMs: now })).toBe('history');
    expect(notificationOrigin({ trigger: 'replay', eventMs: now, nowMs: now })).toBe('history');
    expect(notificationOrigin({ trigger: 'schedule', eventMs: now - 2 * 3_600_000, nowMs: now })).toBe('live');
    expect(notificationOrigin({ trigger: 'run', eventMs: now - 37 * 3_600_000, nowMs: now })).toBe('history');
    expect(notificationOrigin({ trigger: 'run', eventMs: now - 37 * 3_600_000, nowMs: now, maxAgeMs: 48 * 3_600_000 })).toBe('live');
  });
  it('the cheer message says who, how far, what and how long', () => {
    expect(activityMessage({ firstName: 'Léa', sport: 'running', distanceM: 10_800, elapsedS: 46 * 60 })).toBe('Bravo Léa! 10.8 km of running in 46 min');
    expect(activityMessage({ firstName: 'Hugo', sport: 'cycling', distanceM: 42_260, elapsedS: 95 * 60 + 20 })).toBe('Bravo Hugo! 42.3 km of cycling in 1 h 35');
    expect(activityMessage({ firstName: 'Inès', sport: 'yoga', elapsedS: 3600 })).toBe('Bravo Inès! 1 h 00 of yoga');
  });
});
