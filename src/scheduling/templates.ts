/**
 * SMS about visits (issue 4): the appointment, the day-before reminder, a move, the options
 * offered after `3`, a cancellation. Pure. The same rules as outreach (RULES.md §7): surname with
 * 先生/女士, the Chinese way of writing dates, how to answer; no ID number, no medical data, no
 * address (the driver knows where they live).
 */
import { chineseDate, honorific, surnameOf, type Addressee } from '../outreach/templates.ts';
import { toDayNumber } from '../shared/civil-date.ts';

const WEEKDAYS = ['周四', '周五', '周六', '周日', '周一', '周二', '周三'];

/** `12月3日（周四）`: 1970-01-01 was a Thursday. */
export function dateWithWeekday(date: string, today: string): string {
  const day = ((toDayNumber(date) % 7) + 7) % 7;
  return `${chineseDate(date, today)}（${WEEKDAYS[day]}）`;
}

/** `9:00` rather than `09:00`: how times are written for readers. */
export function clock(hhmm: string): string {
  return hhmm.startsWith('0') ? hhmm.slice(1) : hhmm;
}

export interface Crew {
  /** Full names from the field staff list; only surnames are used. */
  postalName: string;
  examinerName: string;
}

export interface Appointment {
  signature: string;
  addressee: Addressee;
  date: string;
  windowStart: string;
  windowEnd: string;
  /** A community gate (drivers of one community are seen one after another) or the driver's door. */
  atGate: boolean;
  crew: Crew;
  needsCognitiveTest: boolean;
  today: string;
}

function crewWords(crew: Crew): string {
  return `邮政${surnameOf(crew.postalName)}师傅和${surnameOf(crew.examinerName)}医生`;
}

function when(a: Appointment): string {
  return `${dateWithWeekday(a.date, a.today)}${clock(a.windowStart)}-${clock(a.windowEnd)}`;
}

function where(a: Appointment): string {
  return a.atGate ? '到您小区门口' : '到您家';
}

function bring(a: Appointment): string {
  return a.needsCognitiveTest ? '请备好身份证、驾驶证、眼镜或助听器，体检含三力测试。' : '请备好身份证、驾驶证、眼镜或助听器。';
}

export function appointmentSms(a: Appointment): string {
  return `【${a.signature}】${honorific(a.addressee)}：${crewWords(a.crew)}将于${when(a)}${where(a)}为您上门体检，约10分钟。${bring(a)}回复1确认，3改期。`;
}

export function reminderSms(a: Appointment): string {
  return `【${a.signature}】${honorific(a.addressee)}：提醒您，${when(a)}${crewWords(a.crew)}${where(a)}为您体检。${bring(a)}回复3改期。`;
}

export function movedSms(a: Appointment): string {
  return `【${a.signature}】${honorific(a.addressee)}：已为您改到${when(a)}，${crewWords(a.crew)}${where(a)}为您体检。回复1确认。`;
}

export function confirmedSms(a: Appointment): string {
  return `【${a.signature}】${honorific(a.addressee)}：已确认，${when(a)}上门体检，请按时等候。`;
}

export interface Option {
  date: string;
  part: 'am' | 'pm';
}

const PART = { am: '上午', pm: '下午' } as const;

/** After `3`: the next feasible days; the booking stands until the driver picks one. */
export function optionsSms(signature: string, addressee: Addressee, options: readonly Option[], today: string): string {
  const head = `【${signature}】${honorific(addressee)}：`;
  if (options.length === 0) return `${head}近期没有可改的时间，原预约保留，工作人员会电话联系您。`;
  const list = options.map((o) => `${chineseDate(o.date, today)}${PART[o.part]}`).join('、');
  const example = options[0]!;
  return `${head}可改到：${list}。回复3加日期即可，如“3 ${chineseDate(example.date, today)}${PART[example.part]}”。原预约暂时保留。`;
}

/** The crew sets out (issue 16): the driver, told about 15 minutes ahead, can be at the door or the gate. */
export function onTheWaySms(a: Pick<Appointment, 'signature' | 'addressee' | 'atGate' | 'crew'>): string {
  return `【${a.signature}】${honorific(a.addressee)}：${crewWords(a.crew)}已出发，约15分钟后${a.atGate ? '到您小区门口' : '到您家'}，请备好身份证和驾驶证稍候。`;
}

export function cancelledSms(signature: string, addressee: Addressee, date: string, today: string): string {
  return `【${signature}】${honorific(addressee)}：原定${dateWithWeekday(date, today)}的上门体检已取消，我们会再与您联系。`;
}
