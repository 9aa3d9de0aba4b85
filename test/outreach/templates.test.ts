import { describe, it, expect } from 'vitest';
import { CASE_CATEGORIES } from '../../src/screening/case.ts';
import type { CancellationReason, CaseCategory } from '../../src/screening/case.ts';
import {
  ackSms,
  chineseDate,
  helpSms,
  honorific,
  noticeSms,
  smsSegments,
  surnameOf,
  templateCatalogue,
  VOICE_GOODBYE,
  VOICE_NO_INPUT,
  voiceAck,
  voiceScript,
} from '../../src/outreach/templates.ts';
import type { AckKind, NoticeCase, NoticeInput } from '../../src/outreach/templates.ts';

const SIGNATURE = '聊城市车管所';
const TODAY = '2026-11-26';
const VISIT_KEYS = '回复1预约上门，2不需要，3改期，TD退订';
const NOTICE_KEYS = '回复1表示已知晓，3请工作人员联系您，TD退订';
const VISIT_PROMPT = '按1，预约上门体检；按2，不需要；按3，改期；按9，重听。';
const NOTICE_PROMPT = '按1，表示已知晓；按3，请工作人员联系您；按9，重听。';

function notice(category: CaseCategory, dueOn = '2026-12-26', over: Partial<NoticeCase> = {}): NoticeCase {
  const reason: CancellationReason | null = category === 'cancellation_notice' ? 'only_mnp_at_63' : null;
  return { category, dueOn, overdue: false, reason, ...over };
}

function input(cases: NoticeCase[], over: Partial<NoticeInput> = {}): NoticeInput {
  return { signature: SIGNATURE, addressee: { name: '张建国', sex: 'M' }, cases, today: TODAY, ...over };
}

function subsets(): CaseCategory[][] {
  return Array.from({ length: 31 }, (_, i) => CASE_CATEGORIES.filter((_, bit) => ((i + 1) >> bit) & 1));
}

describe('surnameOf', () => {
  it('takes the first character of a single surname', () => {
    expect(surnameOf('张建国')).toBe('张');
  });

  it('keeps a compound surname whole', () => {
    expect(surnameOf('欧阳修文')).toBe('欧阳');
    expect(surnameOf('司马光')).toBe('司马');
    expect(surnameOf('诸葛亮')).toBe('诸葛');
  });

  it('takes one character when the first two are not a compound surname', () => {
    expect(surnameOf('欧明')).toBe('欧');
    expect(surnameOf('司小红')).toBe('司');
  });

  it('counts code points, not UTF-16 units', () => {
    expect(surnameOf('𠮷野家')).toBe('𠮷');
  });
});

describe('honorific', () => {
  it('adds 先生 for a man and 女士 for a woman, never the given name', () => {
    expect(honorific({ name: '张建国', sex: 'M' })).toBe('张先生');
    expect(honorific({ name: '上官婉儿', sex: 'F' })).toBe('上官女士');
  });
});

describe('chineseDate', () => {
  it('writes month and day without leading zeros in the current year', () => {
    expect(chineseDate('2026-12-26', TODAY)).toBe('12月26日');
    expect(chineseDate('2026-03-05', TODAY)).toBe('3月5日');
  });

  it('adds the year outside the current year', () => {
    expect(chineseDate('2027-01-05', TODAY)).toBe('2027年1月5日');
  });
});

describe('smsSegments', () => {
  it('counts UCS-2 parts: 70 in one, 67 per part beyond', () => {
    expect(smsSegments('')).toBe(0);
    expect(smsSegments('字'.repeat(70))).toBe(1);
    expect(smsSegments('字'.repeat(71))).toBe(2);
    expect(smsSegments('字'.repeat(134))).toBe(2);
    expect(smsSegments('字'.repeat(135))).toBe(3);
  });

  it('counts UTF-16 units, so a supplementary character takes two', () => {
    expect(smsSegments('𠮷'.repeat(35))).toBe(1);
    expect(smsSegments('𠮷'.repeat(35) + '字')).toBe(2);
  });
});

describe('noticeSms for one category', () => {
  it('asks for the annual certificate, with the deadline and the visit offer', () => {
    expect(noticeSms(input([notice('annual_exam_70')]))).toBe(
      '【聊城市车管所】张先生您好：您需提交年度身体条件证明，办理期限至12月26日。' +
        '邮政人员和医生可到您家或小区门口为您上门体检，约十分钟。回复1预约上门，2不需要，3改期，TD退订。',
    );
  });

  it('asks for a downgrade, with the year when the deadline is next year', () => {
    const text = noticeSms(input([notice('downgrade_63', '2027-01-05')], { addressee: { name: '欧阳秀英', sex: 'F' } }));
    expect(text).toBe(
      '【聊城市车管所】欧阳女士您好：您需办理驾驶证降级换证，办理期限至2027年1月5日。' +
        '邮政人员和医生可到您家或小区门口为您上门体检，约十分钟。回复1预约上门，2不需要，3改期，TD退订。',
    );
  });

  it('words downgrade_70 like downgrade_63', () => {
    expect(noticeSms(input([notice('downgrade_70')]))).toBe(noticeSms(input([notice('downgrade_63')])));
  });

  it('asks for a renewal', () => {
    expect(noticeSms(input([notice('expiry_renewal')]))).toBe(
      '【聊城市车管所】张先生您好：您需办理驾驶证期满换证，办理期限至12月26日。' +
        '邮政人员和医生可到您家或小区门口为您上门体检，约十分钟。回复1预约上门，2不需要，3改期，TD退订。',
    );
  });

  it('gives a cancellation notice with no visit offer and the notice-only keys', () => {
    expect(noticeSms(input([notice('cancellation_notice')]))).toBe(
      '【聊城市车管所】张先生您好：年满63周岁后不能再驾驶轮式自行机械车、无轨电车、有轨电车，' +
        '我所将自12月26日起依法注销您的驾驶证。回复1表示已知晓，3请工作人员联系您，TD退订。',
    );
    const at70 = noticeSms(input([notice('cancellation_notice', '2026-12-26', { reason: 'only_c3c4_at_70' })]));
    expect(at70).toContain('年满70周岁后不能再驾驶低速载货汽车、三轮汽车等车型');
    expect(at70).not.toContain('上门');
    expect(at70).toContain(NOTICE_KEYS);
  });

  it('stays within two segments with a six-character signature', () => {
    for (const category of CASE_CATEGORIES) {
      const text = noticeSms(input([notice(category, '2027-12-26')], { addressee: { name: '欧阳秀英', sex: 'F' } }));
      expect(smsSegments(text), text).toBeLessThanOrEqual(2);
    }
  });
});

describe('noticeSms for several cases', () => {
  it('mentions a downgrade once when both downgrades are due', () => {
    const text = noticeSms(input([notice('downgrade_63'), notice('downgrade_70')]));
    expect(text.match(/降级换证/g)).toHaveLength(1);
  });

  it('lists the tasks in category order, joined with 、, whatever the input order', () => {
    const text = noticeSms(input([notice('expiry_renewal'), notice('annual_exam_70')]));
    expect(text).toContain('您需提交年度身体条件证明、办理驾驶证期满换证，');
  });

  it('gives the earliest deadline of the visit cases, ignoring the cancellation date', () => {
    const text = noticeSms(
      input([notice('expiry_renewal', '2027-01-20'), notice('annual_exam_70', '2026-12-20'), notice('cancellation_notice', '2026-12-01')]),
    );
    expect(text).toContain('办理期限至12月20日');
    expect(text).toContain('另，年满63周岁后不能再驾驶轮式自行机械车、无轨电车、有轨电车，我所将自12月1日起依法注销相应车型。');
    expect(text).toContain(VISIT_KEYS);
    expect(text).not.toContain(NOTICE_KEYS);
  });

  it('says the deadline has passed when any visit case is overdue', () => {
    const text = noticeSms(input([notice('annual_exam_70', '2026-11-01', { overdue: true }), notice('expiry_renewal', '2027-01-20')]));
    expect(text).toContain('已超过办理期限，请尽快办理。');
    expect(text).not.toContain('办理期限至');
  });

  it('refuses a conversation without cases', () => {
    expect(() => noticeSms(input([]))).toThrow();
  });
});

describe('every combination of categories', () => {
  const reasons: CancellationReason[] = ['only_mnp_at_63', 'only_c3c4_at_70'];
  const dueOns = ['2026-12-26', '2027-12-26'];

  it.each(subsets().map((s) => [s.join('+'), s] as const))('%s: short, signed, addressed, dated, with keys', (_, categories) => {
    for (const reason of reasons) {
      for (const dueOn of dueOns) {
        const cases = categories.map((c) => notice(c, dueOn, c === 'cancellation_notice' ? { reason } : {}));
        const sms = noticeSms(input(cases, { addressee: { name: '欧阳秀英', sex: 'F' } }));
        expect(smsSegments(sms), sms).toBeLessThanOrEqual(3);
        expect(sms.startsWith(`【${SIGNATURE}】`)).toBe(true);
        expect(sms).toContain('欧阳女士');
        expect(sms).not.toContain('秀英');
        expect(sms).toContain(chineseDate(dueOn, TODAY));
        const noticeOnly = categories.length === 1 && categories[0] === 'cancellation_notice';
        expect(sms).toContain(noticeOnly ? NOTICE_KEYS : VISIT_KEYS);
        expect(sms).not.toMatch(/\d{6,}/);
        expect(voiceScript(input(cases)).at(-1)).toBe(noticeOnly ? NOTICE_PROMPT : VISIT_PROMPT);
      }
    }
  });
});

describe('voiceScript', () => {
  it('greets, says what and when, offers the visit, and ends with the prompt', () => {
    expect(voiceScript(input([notice('annual_exam_70')]))).toEqual([
      '张先生您好，这里是聊城市车管所。',
      '您需要提交年度身体条件证明，办理期限是12月26日。',
      '邮政人员和医生可以到您家或小区门口为您上门体检，大约十分钟。',
      VISIT_PROMPT,
    ]);
  });

  it('ends a notice-only call with the notice prompt and offers no visit', () => {
    const script = voiceScript(input([notice('cancellation_notice')]));
    expect(script.at(-1)).toBe(NOTICE_PROMPT);
    expect(script.join('')).not.toContain('上门体检');
  });

  it('says the deadline has passed when overdue', () => {
    expect(voiceScript(input([notice('expiry_renewal', '2026-11-01', { overdue: true })]))[1]).toBe(
      '您需要办理驾驶证期满换证，已经超过办理期限，请尽快办理。',
    );
  });
});

describe('replies', () => {
  const kinds: AckKind[] = ['confirm', 'decline', 'reschedule', 'opt_out', 'ambiguous'];

  it('signs every SMS reply and keeps it to one or two segments', () => {
    for (const kind of kinds) {
      const text = ackSms(kind, SIGNATURE, { rescheduleOn: '2027-12-03', partOfDay: 'pm', today: TODAY });
      expect(text.startsWith(`【${SIGNATURE}】`)).toBe(true);
      expect(smsSegments(text)).toBeGreaterThanOrEqual(1);
      expect(smsSegments(text)).toBeLessThanOrEqual(2);
    }
  });

  it('repeats the asked date and part of the day on a reschedule', () => {
    expect(ackSms('reschedule', SIGNATURE, { rescheduleOn: '2026-12-03', partOfDay: 'am', today: TODAY })).toBe(
      '【聊城市车管所】已收到您的改期要求（12月3日上午），工作人员将尽快与您联系。',
    );
    expect(ackSms('reschedule', SIGNATURE)).toBe('【聊城市车管所】已收到您的改期要求，工作人员将尽快与您联系。');
  });

  it('writes the year of an asked date when today is not given', () => {
    expect(ackSms('reschedule', SIGNATURE, { rescheduleOn: '2026-12-03' })).toContain('（2026年12月3日）');
  });

  it('answers an unreadable reply with a promise of a call', () => {
    expect(ackSms('ambiguous', SIGNATURE)).toBe('【聊城市车管所】已收到您的回复，工作人员将尽快与您联系。');
  });

  it('gives one short help reply with every key and a reschedule example', () => {
    const text = helpSms(SIGNATURE);
    expect(text.startsWith(`【${SIGNATURE}】`)).toBe(true);
    for (const part of ['1预约上门', '2不需要', '3改期', '3 12月3日', 'TD退订']) expect(text).toContain(part);
    expect(smsSegments(text)).toBeLessThanOrEqual(2);
  });

  it('has a spoken acknowledgement for each key, a no-input line and a goodbye', () => {
    const spoken = [voiceAck('confirm'), voiceAck('decline'), voiceAck('reschedule'), VOICE_NO_INPUT, VOICE_GOODBYE];
    expect(new Set(spoken).size).toBe(5);
    for (const line of spoken) expect(line).toMatch(/。$/);
  });
});

describe('templateCatalogue', () => {
  const catalogue = templateCatalogue(SIGNATURE, TODAY);

  it('lists all 31 combinations, each with its SMS, length, segments and voice script', () => {
    expect(catalogue.match(/^### \d+\. /gm)).toHaveLength(31);
    expect(catalogue.match(/^SMS: \d+ characters, [123] segment\(s\)$/gm)).toHaveLength(31);
    expect(catalogue.match(/^Voice:$/gm)).toHaveLength(31);
    expect(catalogue.match(/^> 【聊城市车管所】/gm)).toHaveLength(31);
    expect(catalogue).toContain(`### 31. ${CASE_CATEGORIES.map((c) => `\`${c}\``).join(' + ')}`);
  });

  it('reports the real length and segment count of each SMS', () => {
    const pairs = [...catalogue.matchAll(/^SMS: (\d+) characters, (\d) segment\(s\)\n\n> (.+)$/gm)];
    expect(pairs).toHaveLength(31);
    for (const [, length, segments, sms = ''] of pairs) {
      expect(sms.length).toBe(Number(length));
      expect(smsSegments(sms)).toBe(Number(segments));
    }
  });

  it('is deterministic', () => {
    expect(templateCatalogue(SIGNATURE, TODAY)).toBe(catalogue);
  });
});
