import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPhone } from '../../src/shared/phone-display.ts';
import { maskPhone } from '../../src/shared/mask.ts';

// Issue 14: numbers shown the Chinese way, by one function, masked per RULES.md §6.
describe('formatPhone', () => {
  it.each([
    ['+8613800000001', '138 0000 0001', '138****0001'],
    ['+866352904665', '0635-2904665', '0635-***4665'],
    ['+861012345678', '010-12345678', '010-****5678'],
    ['+862087654321', '020-87654321', '020-****4321'],
    ['+8675512345678', '0755-12345678', '0755-****5678'],
    ['0635-2904665', '0635-2904665', '0635-***4665'],
    ['138 0000 0001', '138 0000 0001', '138****0001'],
    ['+15005550006', '+15005550006', '********0006'],
    ['12345', '12345', '*****'],
  ])('%s is shown as %s, masked %s', (stored, shown, masked) => {
    expect(formatPhone(stored)).toBe(shown);
    expect(formatPhone(stored, { masked: true })).toBe(masked);
    expect(maskPhone(stored)).toBe(masked);
  });

  it('gives back the national number once spaces and dashes are removed, and masks all but four digits', () => {
    const mobile = fc.tuple(fc.integer({ min: 3, max: 9 }), fc.stringMatching(/^\d{9}$/)).map(([b, r]) => `1${b}${r}`);
    const landline = fc.tuple(fc.constantFrom('10', '20', '27', '635', '531', '755', '898'), fc.stringMatching(/^[2-8]\d{6,7}$/)).map(([a, r]) => `0${a}${r}`);
    fc.assert(
      fc.property(fc.oneof(mobile, landline), (national) => {
        const e164 = `+86${national.replace(/^0/, '')}`;
        expect(formatPhone(e164).replace(/[\s-]/g, '')).toBe(national);
        const masked = formatPhone(e164, { masked: true });
        expect(masked.slice(-4)).toBe(national.slice(-4));
        expect(masked.replace(/[^\d]/g, '').length).toBeLessThanOrEqual(8);
        expect(masked).toContain('*');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('numbers in what people read', () => {
  it('the licence and the case list show a landline as 0635-2904665 and keep E.164 for programs', async () => {
    const { createTestApp } = await import('../helpers/app.ts');
    const { seedDrivers } = await import('../helpers/outreach.ts');
    const t = await createTestApp();
    try {
      await seedDrivers(t, [['100000000009', { phone: '0635-2904665', name: '李秀英', sex: 'F' }]]);
      const licence = (await (await t.request('/api/licences/100000000009')).json()) as { phone: string; phoneDisplay: string };
      expect(licence).toMatchObject({ phone: '+866352904665', phoneDisplay: '0635-2904665' });
      const cases = (await (await t.request('/api/cases?fileNumber=100000000009', { as: 'dispatcher' })).json()) as { items: { driver: { phoneDisplay: string } }[] };
      expect(cases.items[0]?.driver.phoneDisplay).toBe('0635-2904665');
    } finally {
      await t.cleanup();
    }
  });
});
