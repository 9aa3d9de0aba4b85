import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createLogger, scrub } from '../../src/shared/logger.ts';
import { maskIdNumber, maskName, maskPhone } from '../../src/shared/mask.ts';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', DATABASE_PATH: './data/checkup.db', SCREENING_LEAD_DAYS: 60, SCREENING_DAILY_AT: '02:00' });
  });

  it('names every bad setting and why', () => {
    expect(() => loadConfig({ PORT: 'eighty', SCREENING_DAILY_AT: '25:00' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', SCREENING_DAILY_AT: '25:00' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT/);
      expect((err as Error).message).toMatch(/SCREENING_DAILY_AT: must be HH:MM/);
    }
  });

  it('refuses a submission lease shorter than twice the gateway timeout, and a cap below the base', () => {
    expect(() => loadConfig({ GATEWAY_TIMEOUT_MS: '40000', SUBMISSION_LEASE_SECONDS: '60' })).toThrow(/SUBMISSION_LEASE_SECONDS: must be at least twice GATEWAY_TIMEOUT_MS/);
    expect(() => loadConfig({ SUBMISSION_BACKOFF_BASE_MS: '9000', SUBMISSION_BACKOFF_CAP_MS: '1000' })).toThrow(/SUBMISSION_BACKOFF_CAP_MS/);
    expect(loadConfig({ GATEWAY_TIMEOUT_MS: '30000', SUBMISSION_LEASE_SECONDS: '60' }).SUBMISSION_LEASE_SECONDS).toBe(60);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });
});

describe('masking and log scrubbing (RULES.md §6)', () => {
  it('masks an ID number, a mobile, a landline and a name', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
    expect(maskPhone('+8613812345678')).toBe('138****5678');
    expect(maskPhone('+866358123456')).toBe('0635-***3456');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳小明')).toBe('欧***');
  });

  it('scrubs ID numbers and mobiles out of any log line', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    logger.info('oops', { detail: 'id 11010519491231002X phone +8613812345678 and 13900001111' });
    expect(lines[0]).not.toMatch(/11010519491231002X|13812345678|13900001111/);
    expect(lines[0]).toContain('110105********002X');
    expect(scrub('no personal data here 2026-11-26')).toBe('no personal data here 2026-11-26');
  });
});
