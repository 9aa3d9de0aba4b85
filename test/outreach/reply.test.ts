import { describe, expect, it } from 'vitest';
import { normaliseReply, parseKeypress, parseReply } from '../../src/outreach/reply.ts';
import type { KeypressIntent, ParsedReply } from '../../src/outreach/reply.ts';

const THURSDAY = '2026-11-26';
const WEDNESDAY = '2026-12-02';
const YEAR_END = '2026-12-30';

function cases(rows: ReadonlyArray<[string, ParsedReply]>, today = THURSDAY) {
  it.each(rows)('%j → %j', (text, expected) => {
    expect(parseReply(text, today)).toStrictEqual(expected);
  });
}

const CONFIRM: ParsedReply = { intent: 'confirm' };
const DECLINE: ParsedReply = { intent: 'decline' };
const OPT_OUT: ParsedReply = { intent: 'opt_out' };
const HELP: ParsedReply = { intent: 'help' };
const UNKNOWN: ParsedReply = { intent: 'unknown' };
const RESCHEDULE: ParsedReply = { intent: 'reschedule' };
const on = (rescheduleOn: string, partOfDay?: 'am' | 'pm'): ParsedReply =>
  partOfDay ? { intent: 'reschedule', rescheduleOn, partOfDay } : { intent: 'reschedule', rescheduleOn };

describe('normaliseReply', () => {
  it.each([
    ['１', '1'],
    [' 1 ', '1'],
    ['\u3000１\u3000', '1'],
    ['1\u200B', '1'],
    ['\uFEFF好', '好'],
    ['1。', '1'],
    ['确认！！', '确认'],
    ['“好”（是）【的】《》…~', '好是的'],
    ['td', 'TD'],
    ['Ｓｔｏｐ', 'STOP'],
    ['改期 12.3', '改期12.3'],
    ['3 １２／３', '312/3'],
    ['3 12-3', '312-3'],
    ['1.', '1'],
    ['？', ''],
    ['1\uFE0F\u20E3', '1'],
    ['好👍', '好'],
  ])('%j → %j', (text, expected) => {
    expect(normaliseReply(text)).toBe(expected);
  });
});

describe('parseReply: keywords', () => {
  describe('confirm', () =>
    cases([
      ['1', CONFIRM],
      ['是', CONFIRM],
      ['确认', CONFIRM],
      ['好', CONFIRM],
      ['好的', CONFIRM],
      ['确定', CONFIRM],
      ['可以', CONFIRM],
      ['是的', CONFIRM],
    ]));

  describe('decline', () =>
    cases([
      ['2', DECLINE],
      ['否', DECLINE],
      ['不需要', DECLINE],
      ['不用', DECLINE],
      ['不要', DECLINE],
    ]));

  describe('opt out, in any letter case', () =>
    cases([
      ['TD', OPT_OUT],
      ['td', OPT_OUT],
      ['Td', OPT_OUT],
      ['退订', OPT_OUT],
      ['STOP', OPT_OUT],
      ['Stop', OPT_OUT],
      ['stop', OPT_OUT],
      ['ＴＤ', OPT_OUT],
    ]));

  describe('help', () =>
    cases([
      ['帮助', HELP],
      ['HELP', HELP],
      ['help', HELP],
      ['0', HELP],
      ['?', HELP],
      ['？', HELP],
      ['？？?', HELP],
      [' ? ', HELP],
    ]));

  describe('bare reschedule', () =>
    cases([
      ['3', RESCHEDULE],
      ['改期', RESCHEDULE],
      ['３', RESCHEDULE],
    ]));
});

describe('parseReply: white space, width and punctuation are ignored', () =>
  cases([
    [' １ ', CONFIRM],
    ['1。', CONFIRM],
    ['1!', CONFIRM],
    ['\u30001\u3000', CONFIRM],
    ['1\u200B', CONFIRM],
    ['\n好的！\n', CONFIRM],
    ['“确认”', CONFIRM],
    ['２，', DECLINE],
    ['不需要。。。', DECLINE],
    ['退订～', OPT_OUT],
    ['T D', OPT_OUT],
    ['帮助？', HELP],
  ]));

describe('parseReply: anything else is unknown', () =>
  cases([
    ['', UNKNOWN],
    ['   ', UNKNOWN],
    ['。', UNKNOWN],
    ['12', UNKNOWN],
    ['11', UNKNOWN],
    ['1 2', UNKNOWN],
    ['4', UNKNOWN],
    ['我不确定', UNKNOWN],
    ['我确认', UNKNOWN],
    ['不确定', UNKNOWN],
    ['好的谢谢', UNKNOWN],
    ['CANCEL', UNKNOWN],
    ['cancel', UNKNOWN],
    ['Cancel', UNKNOWN],
    ['YES', UNKNOWN],
    ['STOPALL', UNKNOWN],
    ['3000', UNKNOWN],
    ['30', UNKNOWN],
    ['312', UNKNOWN],
    ['33', UNKNOWN],
    ['改期吧随便', UNKNOWN],
    ['改期到', UNKNOWN],
    ['改到', UNKNOWN],
    ['明天', UNKNOWN],
    ['12月3日', UNKNOWN],
    ['3 下下周一', UNKNOWN],
    ['3 12.3.5', UNKNOWN],
    ['改期明天下午3点', UNKNOWN],
    ['3 上午明天', UNKNOWN],
    ['1.2', UNKNOWN],
  ]));

describe('parseReply: reschedule with a relative day', () =>
  cases([
    ['3 明天', on('2026-11-27')],
    ['改期明天', on('2026-11-27')],
    ['3 后天', on('2026-11-28')],
    ['改期今天', on('2026-11-26')],
    ['明天改期', on('2026-11-27')],
    ['后天 3', on('2026-11-28')],
  ]));

describe('parseReply: reschedule to a weekday, strictly after today (a Thursday)', () =>
  cases([
    ['3 周五', on('2026-11-27')],
    ['3 周六', on('2026-11-28')],
    ['3 周日', on('2026-11-29')],
    ['3 周天', on('2026-11-29')],
    ['3 周七', on('2026-11-29')],
    ['3 周7', on('2026-11-29')],
    ['3 星期日', on('2026-11-29')],
    ['3 礼拜天', on('2026-11-29')],
    ['3 周一', on('2026-11-30')],
    ['3 星期二', on('2026-12-01')],
    ['3 周三', on('2026-12-02')],
    ['3 周3', on('2026-12-02')],
    ['3 周四', on('2026-12-03')],
    ['改期 下周一', on('2026-11-30')],
    ['改期 下周三', on('2026-12-02')],
    ['改期 下周四', on('2026-12-03')],
    ['3 下星期五', on('2026-12-04')],
    ['3 下礼拜天', on('2026-12-06')],
    ['3 下周7', on('2026-12-06')],
  ]));

describe('parseReply: on a Wednesday, 周三 means next week', () =>
  cases(
    [
      ['3 周三', on('2026-12-09')],
      ['3 周四', on('2026-12-03')],
      ['3 周二', on('2026-12-08')],
      ['3 下周三', on('2026-12-09')],
      ['3 下周四', on('2026-12-10')],
      ['3 下周一', on('2026-12-07')],
    ],
    WEDNESDAY,
  ));

describe('parseReply: reschedule to a calendar date', () =>
  cases([
    ['改期到12月3日', on('2026-12-03')],
    ['改期12月3号', on('2026-12-03')],
    ['3 12月3日', on('2026-12-03')],
    ['3 12月3', on('2026-12-03')],
    ['3 12.3', on('2026-12-03')],
    ['3 12/3', on('2026-12-03')],
    ['3 12-3', on('2026-12-03')],
    ['3 １２．３', on('2026-12-03')],
    ['改期2026年12月3日', on('2026-12-03')],
    ['改期2027年1月5号', on('2027-01-05')],
    ['3 2026-12-03', on('2026-12-03')],
    ['3 2026.12.3', on('2026-12-03')],
    ['改为12月3日', on('2026-12-03')],
    ['改到12.3', on('2026-12-03')],
    ['改成周一', on('2026-11-30')],
    ['3改到12月3日', on('2026-12-03')],
    ['12月3日改期', on('2026-12-03')],
    ['12.3 3', on('2026-12-03')],
    ['3 3.5', on('2027-03-05')],
    ['3 11月26日', on('2026-11-26')],
    ['3 11月25日', on('2027-11-25')],
  ]));

describe('parseReply: a date without a year turns over at the year end', () =>
  cases(
    [
      ['3 1月2日', on('2027-01-02')],
      ['3 1.2', on('2027-01-02')],
      ['3 12月31日', on('2026-12-31')],
      ['3 12月29日', on('2027-12-29')],
    ],
    YEAR_END,
  ));

describe('parseReply: an impossible date is a reschedule without a date', () => {
  cases([
    ['改期2月30日', RESCHEDULE],
    ['3 2.30', RESCHEDULE],
    ['3 13月1日', RESCHEDULE],
    ['3 4月31日', RESCHEDULE],
    ['改期2027年2月29日', RESCHEDULE],
    ['3 0.5', RESCHEDULE],
  ]);

  it('but 29 February is found in the next leap year', () => {
    expect(parseReply('3 2月29日', '2027-03-01')).toStrictEqual(on('2028-02-29'));
    expect(parseReply('改期2028年2月29日', THURSDAY)).toStrictEqual(on('2028-02-29'));
  });
});

describe('parseReply: part of day', () =>
  cases([
    ['3上午', { intent: 'reschedule', partOfDay: 'am' }],
    ['改期 早上', { intent: 'reschedule', partOfDay: 'am' }],
    ['3 下午', { intent: 'reschedule', partOfDay: 'pm' }],
    ['上午3', { intent: 'reschedule', partOfDay: 'am' }],
    ['改期明天上午', on('2026-11-27', 'am')],
    ['3 周三上午', on('2026-12-02', 'am')],
    ['3 12月3日下午', on('2026-12-03', 'pm')],
    ['3 12.3 早上', on('2026-12-03', 'am')],
    ['明天下午改期', on('2026-11-27', 'pm')],
    ['改期2月30日下午', { intent: 'reschedule', partOfDay: 'pm' }],
    ['改期明天晚上', on('2026-11-27')],
    ['3 中午', RESCHEDULE],
  ]));

describe('parseReply: today', () => {
  it('must be a real YYYY-MM-DD date', () => {
    expect(() => parseReply('1', '2026-02-30')).toThrow(RangeError);
    expect(() => parseReply('1', '26/11/2026')).toThrow(RangeError);
  });
});

describe('parseKeypress', () => {
  it.each<[string | undefined, KeypressIntent]>([
    ['1', 'confirm'],
    ['2', 'decline'],
    ['3', 'reschedule'],
    ['9', 'repeat'],
    ['0', 'invalid'],
    ['4', 'invalid'],
    ['8', 'invalid'],
    ['*', 'invalid'],
    ['#', 'invalid'],
    ['', 'invalid'],
    [undefined, 'invalid'],
    ['12', 'invalid'],
    ['11', 'invalid'],
    ['19', 'invalid'],
    [' 1', 'invalid'],
    ['１', 'invalid'],
  ])('%j → %s', (digits, expected) => {
    expect(parseKeypress(digits)).toBe(expected);
  });
});
