/**
 * core/time.ts reads the common ISO/PostgreSQL forms without luxon (its cost per value dominated
 * placing a million CSV rows). This proves the fast path reads every value exactly as the luxon path
 * does: same instant, same canonical text, or a refusal — over generated values and the edges.
 */
import { describe, expect, it } from 'vitest';
import { parseInstant, parseInstantWithLuxon } from '../../core/time';

function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function generated(n: number): string[] {
  const r = prng(7);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = pick([1, 99, 100, 1582, 1900, 1970, 2000, 2024, 2100, 9999, Math.floor(r() * 10000)]);
    const mo = pick([0, 1, 2, 12, 13, 1 + Math.floor(r() * 12)]);
    const d = pick([0, 1, 28, 29, 30, 31, 32, 1 + Math.floor(r() * 31)]);
    const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
    const sep = pick(['T', ' ', 't']);
    const time = pick(['', `${sep}${pad(Math.floor(r() * 25))}:${pad(Math.floor(r() * 61))}`, `${sep}${pad(Math.floor(r() * 24))}:${pad(Math.floor(r() * 60))}:${pad(Math.floor(r() * 61))}`]);
    const frac = time.length > 9 ? pick(['', '.1', '.123', '.123456', '.1234567', '.123456000', ',5']) : '';
    const off = time ? pick(['', 'Z', 'z', '+00', '+02', '-03', '+05:30', '+0530', '-09:30', '+14:00', '+19', '+02:60', '+2']) : '';
    out.push(`${date}${time}${frac}${off}`);
  }
  return out;
}

const edges = [
  '2024-05-01T13:30:00Z',
  '2024-05-01 13:15:00+00',
  '2024-05-01 15:45:10.123456+02',
  '2024-05-01 19:20:00+05:30',
  '2024-05-01 10:05:00-03',
  '2024-02-29',
  '2023-02-29',
  '2024-05-01 13:30',
  '2024-05-01T24:00:00Z',
  '2024-12-31T23:59:60Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  ' 2024-05-01 ',
  '2024-05-01T13',
];

describe('the fast path of parseInstant reads exactly as luxon does', () => {
  it.each([undefined, 'UTC', 'Europe/Paris'])('zone %s', (zone) => {
    const opts = zone === undefined ? {} : { zone };
    const mismatches: string[] = [];
    for (const v of [...edges, ...generated(4000)]) {
      const fast = parseInstant(v, opts);
      const slow = parseInstantWithLuxon(v, opts);
      const a = fast.ok ? fast.instant : 'refused';
      const b = slow.ok ? slow.instant : 'refused';
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`${JSON.stringify(v)}: ${JSON.stringify(a)} vs luxon ${JSON.stringify(b)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
