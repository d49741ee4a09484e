/**
 * The set-based path's byte-level checks (activities/set-based.ts, fieldMatchesKind) against the
 * patterns they implement, written as regular expressions plus the calendar (Date.UTC) — on edge
 * values and 20,000 random strings per kind drawn from the characters that matter.
 */
import { describe, expect, it } from 'vitest';
import { fieldMatchesKind } from '../../activities/set-based';
import type { SqlSourceKind } from '../../core/pipeline';
import { mulberry32 } from '../../core/seeded-random';

function reference(kind: SqlSourceKind, s: string): boolean {
  switch (kind) {
    case 'text':
      return true;
    case 'trimmed-text':
      return /^[!-~]([\s\S]*[!-~])?$/.test(s);
    case 'decimal':
      return /^-?[0-9]{1,9}(\.[0-9]{1,6})?$/.test(s);
    case 'integer':
      return /^-?[0-9]{1,15}$/.test(s);
    case 'iso-date': {
      const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
      if (!m) return false;
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (y === 0 || mo < 1 || mo > 12 || d < 1) return false;
      const dt = new Date(Date.UTC(2000, mo - 1, d));
      dt.setUTCFullYear(y, mo - 1, d);
      return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
    }
  }
}

const check = (kind: SqlSourceKind, s: string) => {
  const b = Buffer.from(`x,${s},y`, 'utf8');
  return fieldMatchesKind(kind, b, 2, b.length - 2);
};

const EDGES: Record<SqlSourceKind, string[]> = {
  text: ['', ' ', 'a', 'Zürich'],
  'trimmed-text': ['', ' ', 'a', ' a', 'a ', 'a b', 'Zürich', 'Ñandú', '\ta', '~x!', 'é'],
  decimal: ['', '-', '.', '0', '-0', '1.', '.5', '1.5', '-1.5', '+1', '1e3', '123456789', '1234567890', '1.123456', '1.1234567', '0012.50', '1,5', ' 1', '--1', '1..2'],
  integer: ['', '-', '0', '-0', '123456789012345', '1234567890123456', '1.0', '+1', ' 1'],
  'iso-date': ['2012-01-01', '2012-02-29', '2013-02-29', '2000-02-29', '1900-02-29', '0000-01-01', '0001-01-01', '9999-12-31', '2012-04-31', '2012-13-01', '2012-00-10', '2012-01-00', '2012-1-01', '2012/01/01', '20120101', ' 2012-01-01'],
};

const ALPHABET: Record<SqlSourceKind, string> = {
  text: 'a -é',
  'trimmed-text': 'a ~!\tü',
  decimal: '0123456789.-+e ',
  integer: '0123456789-+. ',
  'iso-date': '0123456789-',
};

describe('fieldMatchesKind', () => {
  for (const kind of Object.keys(EDGES) as SqlSourceKind[]) {
    it(`${kind}: edge values and random strings match the reference pattern`, () => {
      for (const s of EDGES[kind]) expect([s, check(kind, s)]).toEqual([s, reference(kind, s)]);
      const rnd = mulberry32(kind.length * 7919);
      const chars = [...ALPHABET[kind]];
      let accepted = 0;
      for (let i = 0; i < 20_000; i++) {
        const len = kind === 'iso-date' ? 8 + Math.floor(rnd() * 4) : Math.floor(rnd() * 18);
        let s = '';
        // Mostly digits for the numeric kinds, so that valid values come up often.
        for (let j = 0; j < len; j++) s += kind === 'iso-date' || kind === 'decimal' || kind === 'integer' ? (rnd() < 0.8 ? String(Math.floor(rnd() * 10)) : chars[Math.floor(rnd() * chars.length)]) : chars[Math.floor(rnd() * chars.length)];
        if (kind === 'iso-date' && rnd() < 0.7) s = `${String(Math.floor(rnd() * 10000)).padStart(4, '0')}-${String(Math.floor(rnd() * 14)).padStart(2, '0')}-${String(Math.floor(rnd() * 33)).padStart(2, '0')}`;
        const want = reference(kind, s);
        if (check(kind, s) !== want) expect([s, check(kind, s)]).toEqual([s, want]);
        if (want) accepted++;
      }
      expect(accepted).toBeGreaterThan(kind === 'text' ? 19_000 : 500);
    });
  }
});
