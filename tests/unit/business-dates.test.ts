/**
 * Calendar dates and invoice months as exports write them (core/business-dates.ts).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { businessDate, businessMonth, optionalBusinessDate, parseBusinessDate, parseBusinessMonth } from '../../core/business-dates';

describe('parseBusinessDate', () => {
  it.each([
    ['2025-10-14', '2025-10-14'],
    ['14/10/2025', '2025-10-14'],
    [' 2024-02-29 ', '2024-02-29'],
    ['29/02/2024', '2024-02-29'],
    ['31/12/2025', '2025-12-31'],
  ])('%j → %s', (text, iso) => expect(parseBusinessDate(text)).toEqual({ ok: true, value: iso }));

  it.each([
    ['31/02/2025', /not a day of the calendar/],
    ['2025-02-29', /not a day of the calendar/],
    ['2025-13-05', /not a day of the calendar/],
    ['2025-00-10', /not a day of the calendar/],
    ['2025/10/14', /not a date \(expected YYYY-MM-DD or DD\/MM\/YYYY\)/],
    ['14-10-2025', /not a date/],
    ['10/14/2025', /not a day of the calendar/],
    ['2025-1-5', /not a date/],
    ['bientôt', /not a date/],
    ['0025-10-14', /year 25 is outside/],
    ['', /missing date/],
  ])('%j is refused', (text, reason) => {
    const r = parseBusinessDate(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('parseBusinessMonth', () => {
  it.each([
    ['Oct-2025', '2025-10-01'],
    ['OCT-2025', '2025-10-01'],
    ['oct-2025', '2025-10-01'],
    ['Feb-2024', '2024-02-01'],
    ['2025-10', '2025-10-01'],
    ['2025-10-31', '2025-10-01'],
    ['31/10/2025', '2025-10-01'],
  ])('%j → %s', (text, iso) => expect(parseBusinessMonth(text)).toEqual({ ok: true, value: iso }));

  it.each([
    ['Foo-2025', /not a month/],
    ['13-2025', /not a month/],
    ['Oct-25', /not a month/],
    ['2025-13', /not a month/],
    ['Octobre-2025', /not a month/],
    ['2024-02-30', /not a day of the calendar/],
    [null, /missing month/],
  ])('%j is refused', (text, reason) => {
    const r = parseBusinessMonth(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('schema helpers', () => {
  const schema = z.object({ month: businessMonth(), due: businessDate(), paid: optionalBusinessDate() });

  it('parse what they accept', () => {
    expect(schema.parse({ month: 'Oct-2025', due: '14/11/2025', paid: '' })).toEqual({ month: '2025-10-01', due: '2025-11-14', paid: null });
    expect(schema.parse({ month: 'Oct-2025', due: '2025-11-14', paid: '2025-11-20' }).paid).toBe('2025-11-20');
  });

  it('name the field they refuse', () => {
    const r = schema.safeParse({ month: 'Oct-2025', due: '2025-11-14', paid: 'payée' });
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['paid', expect.stringMatching(/"payée" is not a date/)]]);
  });
});
