/**
 * Deterministic synthetic licence registry (RULES.md §2) for demos, tests and the benchmark.
 *
 * Every person is invented: names, ID numbers, phones and addresses are drawn from a seeded PRNG,
 * so nothing here belongs to a real driver. The same (seed, today) always yields the same rows, and
 * a shorter run is a prefix of a longer one (nothing depends on `count`), which keeps test
 * fixtures stable when the benchmark size changes. Every row is valid under §2 with `today` as the
 * import date: the benchmark expects zero rejected rows.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  addYearsToDays,
  fromDayNumber,
  isCivilDate,
  packedFromDays,
  toDayNumber,
  type CivilDate,
} from '../shared/civil-date.ts';
import { toCsvLine } from '../registry/csv-write.ts';
import { idCheckCharacter } from '../registry/id-number.ts';
import { LICENCE_CLASSES, type LicenceClass } from '../registry/licence.ts';

export interface RegistryDemoOptions {
  /** Number of data rows (the header is extra). At most 100,000,000: file numbers have 8 free digits. */
  count: number;
  /** Any integer; only its low 32 bits matter (the PRNG state is 32 bits). */
  seed: number;
  /**
   * The import date, `YYYY-MM-DD`, from 1990 on: ages, validity and submissions are relative to it,
   * and no generated date lies after it except valid_until and extension_until.
   */
  today: CivilDate;
  /** Emit the Chinese header names of RULES.md §2 instead of the English ones. */
  chineseHeaders?: boolean;
}

export interface WriteRegistryCsvOptions extends RegistryDemoOptions {
  /** A file path (created or truncated, then closed) or a stream (left open: the caller owns it). */
  out: NodeJS.WritableStream | string;
}

const HEADER_EN = [
  'file_number', 'id_number', 'name', 'phone', 'address', 'community', 'classes', 'first_issued_on',
  'valid_until', 'extension_until', 'last_cert_submitted_on', 'status', 'lat', 'lng',
];
const HEADER_ZH = [
  '档案编号', '身份证明号码', '姓名', '联系电话', '联系地址', '社区', '准驾车型', '初次领证日期',
  '有效期止', '延长驾驶资格期限', '最近提交身体条件证明日期', '状态', '纬度', '经度',
];
const MAX_COUNT = 100_000_000;
const DAY_1985 = toDayNumber('1985-01-01');

// ---------------------------------------------------------------------------------------------
// PRNG

/** mulberry32: tiny, fast and good enough for synthetic data; Math.random is not seedable. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, chance: (p) => next() < p, pick: (items) => items[int(items.length)]! };
}

type Weighted<T> = readonly (readonly [T, number])[];

/** Picks from (item, weight) pairs: binary search in a cumulative table (200 communities). */
function weightedPicker<T>(pairs: Weighted<T>): (rng: Rng) => T {
  const items = pairs.map(([item]) => item);
  const cumulative = new Float64Array(pairs.length);
  let total = 0;
  pairs.forEach(([, w], i) => (cumulative[i] = total += w));
  return (rng) => {
    const x = rng.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

// ---------------------------------------------------------------------------------------------
// Places: the districts of Liaocheng (聊城市) and ~200 residential communities

export interface District {
  /** GB/T 2260 code used in ID numbers (371523 is 茌平's code from its county days). */
  code: string;
  name: string;
  lat: number;
  lng: number;
  /** Urban sub-districts (街道) and rural towns (镇). */
  subdistricts: readonly string[];
  towns: readonly string[];
  roads: readonly string[];
  /** Share of residents; 东昌府区 is the city proper. */
  weight: number;
}

// Approximate seats of each district; county seats lie outside the city box on purpose (real geography).
const DISTRICTS: readonly District[] = [
  {
    code: '371502', name: '东昌府区', lat: 36.456, lng: 115.985, weight: 50,
    subdistricts: ['古楼街道', '柳园街道', '新区街道', '湖西街道', '道口铺街道', '阎寺街道', '凤凰街道', '北城街道', '东城街道', '蒋官屯街道'],
    towns: ['沙镇镇', '堂邑镇', '梁水镇镇', '斗虎屯镇', '郑家镇', '张炉集镇', '侯营镇', '于集镇'],
    roads: ['东昌路', '柳园路', '兴华路', '建设路', '花园路', '光岳路', '振兴路', '昌润路', '湖南路', '东关街', '卫育路', '利民路', '向阳路', '龙山路', '站前街', '财干路', '鲁化路', '嵩山路', '黄河路', '长江路', '松桂路', '铁塔路', '水城大道', '运河路'],
  },
  {
    code: '371521', name: '阳谷县', lat: 36.114, lng: 115.792, weight: 7,
    subdistricts: ['狮子楼街道', '博济桥街道', '侨润街道'],
    towns: ['阿城镇', '七级镇', '安乐镇', '定水镇', '石佛镇', '李台镇', '寿张镇', '张秋镇'],
    roads: ['谷山路', '文化路', '清河路', '阳谷大道', '运河路', '景阳冈路'],
  },
  {
    code: '371522', name: '莘县', lat: 36.234, lng: 115.671, weight: 8,
    subdistricts: ['燕塘街道', '莘州街道', '莘亭街道', '东鲁街道'],
    towns: ['张鲁回族镇', '朝城镇', '观城镇', '古城镇', '大张家镇', '古云镇', '十八里铺镇'],
    roads: ['鸿运路', '振兴街', '莘亭路', '中华路', '燕塘路', '文化路'],
  },
  {
    code: '371523', name: '茌平区', lat: 36.580, lng: 116.255, weight: 6,
    subdistricts: ['振兴街道', '信发街道', '温陈街道', '乐平铺街道'],
    towns: ['冯官屯镇', '菜屯镇', '博平镇', '杜郎口镇', '韩屯镇', '胡屯镇', '肖家庄镇'],
    roads: ['新政路', '茌山路', '振兴路', '文化路', '信发路', '金牛湖路'],
  },
  {
    code: '371524', name: '东阿县', lat: 36.335, lng: 116.248, weight: 5,
    subdistricts: ['铜城街道', '新城街道'],
    towns: ['刘集镇', '牛角店镇', '大桥镇', '高集镇', '姜楼镇', '鱼山镇', '陈集镇'],
    roads: ['阿胶街', '曙光路', '府前街', '洛神路', '少岱路', '东阿大道'],
  },
  {
    code: '371525', name: '冠县', lat: 36.484, lng: 115.442, weight: 6,
    subdistricts: ['清泉街道', '崇文街道', '烟庄街道'],
    towns: ['贾镇', '桑阿镇', '柳林镇', '清水镇', '东古城镇', '北馆陶镇', '甘官屯镇', '辛集镇'],
    roads: ['冠宜春路', '红旗路', '振兴路', '武训大道', '崇文路', '清泉路'],
  },
  {
    code: '371526', name: '高唐县', lat: 36.866, lng: 116.231, weight: 6,
    subdistricts: ['鱼邱湖街道', '汇鑫街道', '人和街道'],
    towns: ['梁村镇', '尹集镇', '清平镇', '固河镇', '三十里铺镇', '琉璃寺镇', '赵寨子镇', '姜店镇'],
    roads: ['鼓楼路', '官道街', '金城路', '时风路', '人和路', '双海湖路'],
  },
  {
    code: '371581', name: '临清市', lat: 36.838, lng: 115.705, weight: 12,
    subdistricts: ['青年路街道', '新华路街道', '先锋路街道', '大辛庄街道'],
    towns: ['松林镇', '老赵庄镇', '康庄镇', '魏湾镇', '刘垓子镇', '八岔路镇', '潘庄镇', '烟店镇'],
    roads: ['青年路', '新华路', '先锋路', '红星路', '永青街', '温泉路', '大众路'],
  },
];

export interface Community {
  name: string;
  district: District;
  subdistrict: string;
  road: string;
  roadNumber: number;
  /** `古楼街道东昌路12号水城花园`: the part of the address every resident shares. */
  street: string;
  lat: number;
  lng: number;
}

const COMMUNITY_HEADS = [
  '水城', '东昌', '柳园', '光岳', '古楼', '湖西', '凤凰', '阳光', '金柱', '鲁西', '嘉明', '东关',
  '运河', '昌润', '龙山', '兴华', '振兴', '建设', '湖滨', '星光', '金色', '东方', '天润', '泰和',
  '百花', '文轩', '育新', '民主', '利民', '站前', '卫育', '向阳', '兴隆', '富民', '香江', '龙湾',
  '铁塔', '徒骇河', '绿城', '御景', '盛世', '华府', '丽景', '和谐', '幸福', '康乐', '锦绣', '世纪',
  '新华', '青年', '府前', '翰林', '书香', '檀香', '碧水', '金鼎', '长江', '黄河', '泉城', '清华',
];
const COMMUNITY_TAILS = [
  '花园', '小区', '新村', '家园', '苑', '公寓', '雅居', '名邸', '嘉园', '佳苑', '华庭', '丽都',
];
const COMMUNITY_COUNT = 200;
/** Fixed, not seeded: the city is the same in every demo; only the people change. */
const COMMUNITY_SEED = 0x1a0c;

let communityCache: readonly Community[] | undefined;

/** The ~200 communities, always the same. Rows of one community share road and coordinates. */
export function demoCommunities(): readonly Community[] {
  communityCache ??= buildCommunities();
  return communityCache;
}

function buildCommunities(): Community[] {
  const rng = createRng(COMMUNITY_SEED);
  const pickDistrict = weightedPicker(DISTRICTS.map((d) => [d, d.code === '371502' ? 55 : 6.5] as const));
  const names = new Set(['水城花园', '东昌小区', '柳园新村']);
  while (names.size < COMMUNITY_COUNT) names.add(rng.pick(COMMUNITY_HEADS) + rng.pick(COMMUNITY_TAILS));
  return [...names].map((name) => {
    const district = pickDistrict(rng);
    const subdistrict = rng.pick(district.subdistricts);
    const road = rng.pick(district.roads);
    const roadNumber = 1 + rng.int(300);
    // The city spreads ~5 km around its centre, a county seat ~2 km.
    const spread = district.code === '371502' ? 0.05 : 0.02;
    return {
      name,
      district,
      subdistrict,
      road,
      roadNumber,
      street: `${subdistrict}${road}${roadNumber}号${name}`,
      lat: district.lat + (rng.next() * 2 - 1) * spread,
      lng: district.lng + (rng.next() * 2 - 1) * spread,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// People

// Rough frequencies in Shandong; a few compound surnames (复姓) are kept rare on purpose.
const SURNAMES: Weighted<string> = [
  ['王', 8], ['李', 8], ['张', 7.5], ['刘', 6], ['陈', 3], ['杨', 3], ['赵', 2.5], ['黄', 1], ['周', 1.5],
  ['吴', 1], ['徐', 1.5], ['孙', 2], ['马', 1.5], ['朱', 1], ['胡', 1], ['郭', 1.2], ['何', 0.6], ['林', 0.6],
  ['高', 1.3], ['罗', 0.5], ['郑', 0.7], ['梁', 0.7], ['谢', 0.5], ['宋', 1], ['唐', 0.5], ['许', 0.6],
  ['韩', 0.9], ['冯', 0.6], ['邓', 0.4], ['曹', 0.8], ['彭', 0.3], ['曾', 0.3], ['肖', 0.4], ['田', 0.8],
  ['董', 0.9], ['袁', 0.5], ['潘', 0.3], ['于', 1], ['蒋', 0.4], ['蔡', 0.3], ['杜', 0.7], ['程', 0.6],
  ['苏', 0.5], ['魏', 0.7], ['吕', 0.6], ['丁', 0.6], ['任', 0.6], ['姚', 0.5], ['卢', 0.5], ['姜', 0.8],
  ['崔', 0.7], ['范', 0.6], ['石', 0.5], ['付', 0.6], ['孟', 0.6], ['侯', 0.5], ['闫', 0.6], ['岳', 0.3],
  ['耿', 0.3], ['常', 0.3], ['房', 0.2], ['庞', 0.2], ['欧阳', 0.06], ['司马', 0.02], ['上官', 0.02],
  ['诸葛', 0.02], ['皇甫', 0.01], ['东方', 0.01],
];
const MALE_CHARS = [
  ...'建国军明华伟强平林志勇海东文德福庆金宝春成忠新学民振生广洪刚峰涛磊杰斌鹏亮永长贵义胜利荣兴富良山',
];
const FEMALE_CHARS = [
  ...'秀英兰桂芳玉华珍淑凤霞红梅丽敏静燕娟荣琴云莲萍艳芬翠香春花巧爱素彩雪菊美金月',
];
const VILLAGE_TAILS = ['庄', '楼', '集', '屯', '营', '寨', '店', '堂', '园', '官屯', '家'];

const pickSurname = weightedPicker(SURNAMES);

/** Given names of 1-2 characters, ~1.5% of 3 (RULES.md §2 allows up to 50). */
function givenName(rng: Rng, male: boolean): string {
  const pool = male ? MALE_CHARS : FEMALE_CHARS;
  const r = rng.next();
  const length = r < 0.015 ? 3 : r < 0.2 ? 1 : 2;
  let name = '';
  for (let i = 0; i < length; i++) name += rng.pick(pool);
  return name;
}

// Ages cluster just before the two statutory thresholds (63 and 70) so screening has work to do.
const AGE_NEAR_63: Weighted<number> = [[60, 3], [61, 5], [62, 8], [63, 8], [64, 5], [65, 3], [66, 2]];
const AGE_NEAR_70: Weighted<number> = [
  [67, 3], [68, 5], [69, 9], [70, 9], [71, 6], [72, 5], [73, 4], [74, 3], [75, 3], [76, 2], [77, 2],
  [78, 2], [79, 1], [80, 1],
];
const pickNear63 = weightedPicker(AGE_NEAR_63);
const pickNear70 = weightedPicker(AGE_NEAR_70);
const MIN_AGE = 25;
const MAX_AGE = 90;

function pickAge(rng: Rng): number {
  const r = rng.next();
  if (r < 0.35) return pickNear63(rng);
  if (r < 0.75) return pickNear70(rng);
  return MIN_AGE + rng.int(MAX_AGE - MIN_AGE + 1);
}

// ---------------------------------------------------------------------------------------------
// Licence classes

/** How a class profile's frequency changes with age (the statutory downgrades at 63 and 70). */
type AgeShape = 'plain' | 'to63' | 'to70' | 'after70';

const CLASS_PROFILES: readonly (readonly [string, AgeShape, number])[] = [
  ['C1', 'plain', 50], ['C2', 'plain', 7], ['C5', 'plain', 0.3], ['C1 M', 'plain', 0.6],
  ['C1 D', 'to70', 2], ['C1 E', 'to70', 5], ['D', 'to70', 1.5], ['E', 'to70', 3], ['C3', 'to70', 1.2],
  ['C4', 'to70', 1.8], ['C3 E', 'to70', 0.3], ['C1 C6', 'to70', 0.8], ['C2 E', 'to70', 0.6],
  ['F', 'after70', 1.2], ['C1 F', 'after70', 2.5],
  ['A1', 'to63', 0.8], ['A2', 'to63', 1.2], ['A3', 'to63', 0.2], ['B1', 'to63', 0.8], ['B2', 'to63', 3],
  ['A1 A2', 'to63', 0.3], ['A2 D', 'to63', 0.4], ['A2 E', 'to63', 0.4], ['B2 E', 'to63', 0.8],
  ['B1 E', 'to63', 0.2], ['B2 D', 'to63', 0.3], ['A1 E', 'to63', 0.2], ['B2 M', 'to63', 0.1],
  ['M', 'to63', 0.3], ['N', 'to63', 0.08], ['P', 'to63', 0.05],
];

interface ClassProfile {
  codes: readonly LicenceClass[];
  /** Holds A1-B2 or M/N/P: the classes an extension (Art 65 para 1) can cover. */
  extendable: boolean;
}

/**
 * A registry as the office holds it (issue 14): large-vehicle classes are exchanged at 63, or at
 * 66 after an extension (Art 65 para 1), and C3-E at 70 (para 2). So a few drivers are due or
 * overdue by months, none by decades: nobody of 66 or over still holds A1-B2, nobody over 70 holds C3-E.
 */
function ageFactor(shape: AgeShape, age: number): number {
  if (shape === 'to63') return age < 63 ? 1 : age <= 65 ? 0.3 : 0;
  if (shape === 'to70') return age < 70 ? 1 : age === 70 ? 0.3 : 0;
  if (shape === 'after70') return age < 70 ? 0.3 : 2; // E/D downgraded to F at 70
  return 1;
}

const classPickers = new Map<number, (rng: Rng) => ClassProfile>();

function classPickerFor(age: number): (rng: Rng) => ClassProfile {
  let picker = classPickers.get(age);
  if (!picker) {
    picker = weightedPicker(CLASS_PROFILES.map(([codes, shape, weight]) => {
      const profile: ClassProfile = { codes: codes.split(' ') as LicenceClass[], extendable: shape === 'to63' };
      return [profile, weight * ageFactor(shape, age)] as const;
    }));
    classPickers.set(age, picker);
  }
  return picker;
}

const CLASS_SEPARATORS: Weighted<string> = [['', 45], [' ', 15], [',', 10], ['/', 10], ['、', 12], ['，', 8]];
const pickClassSeparator = weightedPicker(CLASS_SEPARATORS);

/** Clerks write classes every which way: `A2D`, `B2 E`, `C1,D`, `c1/e` (all valid under §2). */
function writeClasses(rng: Rng, codes: readonly LicenceClass[]): string {
  const text = codes.join(codes.length > 1 ? pickClassSeparator(rng) : '');
  return rng.chance(0.05) ? text.toLowerCase() : text;
}

// ---------------------------------------------------------------------------------------------
// Phones

const MOBILE_PREFIXES = [
  '130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '145', '147', '150', '151', '152',
  '153', '155', '156', '157', '158', '159', '166', '171', '173', '175', '176', '177', '178', '180', '181',
  '182', '183', '184', '185', '186', '187', '188', '189', '191', '198', '199',
];

function digits(rng: Rng, n: number): string {
  return String(rng.int(10 ** n)).padStart(n, '0');
}

/** Mostly hand-typed mobiles in assorted forms; ~8% landlines (0635 is Liaocheng's area code). */
function phone(rng: Rng): string {
  if (rng.chance(0.08)) {
    const local = rng.pick(['8', '8', '2', '6', '5']) + digits(rng, 6);
    const r = rng.next();
    return r < 0.7 ? `0635-${local}` : r < 0.9 ? `0635${local}` : `0635 ${local}`;
  }
  const m = rng.pick(MOBILE_PREFIXES) + digits(rng, 8);
  const r = rng.next();
  if (r < 0.7) return m;
  if (r < 0.78) return `${m.slice(0, 3)} ${m.slice(3, 7)} ${m.slice(7)}`;
  if (r < 0.85) return `${m.slice(0, 3)}-${m.slice(3, 7)}-${m.slice(7)}`;
  if (r < 0.91) return `+86${m}`;
  if (r < 0.95) return `+86 ${m.slice(0, 3)} ${m.slice(3, 7)} ${m.slice(7)}`;
  if (r < 0.97) return `0086 ${m}`;
  return `86-${m}`;
}

// ---------------------------------------------------------------------------------------------
// Day arithmetic on day numbers
//
// The row generator works on day numbers (days since 1970-01-01) and formats only at the end: going
// through `YYYY-MM-DD` strings for every addYears made parsing the top cost of a million rows. The
// conventions are those of civil-date.ts (RULES.md §1); the tests check the output against it.

/** Completed years from `from` to `to` (a birthday or anniversary counts, RULES.md §1). */
function yearsBetween(from: number, to: number): number {
  const years = ((packedFromDays(to) / 10000) | 0) - ((packedFromDays(from) / 10000) | 0);
  return addYearsToDays(from, years) <= to ? years : years - 1;
}


// ---------------------------------------------------------------------------------------------
// Row generation

/** Days of ID-slot bookkeeping below today: beyond the oldest age, with room for collisions. */
const SLOT_DAYS = (MAX_AGE + 10) * 366;

interface Ctx {
  rng: Rng;
  todayDay: number;
  /** Per age: first and last birth day giving exactly that age today. */
  birthRange: readonly (readonly [number, number])[];
  pickCommunity: (rng: Rng) => Community;
  pickDistrict: (rng: Rng) => District;
  /**
   * Used sequence slots per (birth day, area, sex): keeps ID numbers unique without storing them.
   * A flat typed array (1.2 MB) instead of a Map: this is on the hot path.
   */
  idSlots: Uint16Array;
  fileMultiplier: number;
  fileOffset: number;
}

function createCtx(options: RegistryDemoOptions): Ctx {
  const rng = createRng(options.seed);
  const todayDay = toDayNumber(options.today);
  const birthRange = Array.from({ length: MAX_AGE + 1 }, (_, age) =>
    [addYearsToDays(todayDay, -(age + 1)) + 1, addYearsToDays(todayDay, -age)] as const);
  // Zipf-like sizes: a few large compounds, many small ones.
  const pickCommunity = weightedPicker(demoCommunities().map((c, i) => [c, 1 / (1 + (i % 40))] as const));
  return {
    rng,
    todayDay,
    birthRange,
    pickCommunity,
    pickDistrict: weightedPicker(DISTRICTS.map((d) => [d, d.weight] as const)),
    idSlots: new Uint16Array(SLOT_DAYS * DISTRICTS.length * 2),
    // An affine map i -> (a*i + b) mod 10^8 with a coprime to 10 is a bijection: unique, shuffled.
    fileMultiplier: (Math.floor(rng.next() * 1e7) * 10 + rng.pick([1, 3, 7, 9])) % 1e8,
    fileOffset: rng.int(1e8),
  };
}

function fileNumber(ctx: Ctx, index: number): string {
  // Split the product so it stays below 2^53 (exact) for any index below 10^8.
  const a = ctx.fileMultiplier;
  const hi = ((Math.floor(a / 1e4) * index) % 1e4) * 1e4;
  const lo = (a % 1e4) * index;
  return '3715' + String((hi + lo + ctx.fileOffset) % 1e8).padStart(8, '0');
}

/** A birth day number giving exactly `age` completed years today. */
function birthDayFor(ctx: Ctx, age: number): number {
  const [lo, hi] = ctx.birthRange[age]!;
  return lo + ctx.rng.int(hi - lo + 1);
}

interface Identity {
  idNumber: string;
  birthDay: number;
}

/**
 * GB 11643: area code, birth date, sequence (odd = male), check character. The sequence walks a
 * per-(birth day, area, sex) permutation so no two rows share an ID number.
 */
function identity(ctx: Ctx, district: District, birthDay: number, male: boolean): Identity {
  const areaIndex = ctx.rng.chance(0.85) ? DISTRICTS.indexOf(district) : ctx.rng.int(DISTRICTS.length);
  const slots = male ? 500 : 499;
  for (let day = birthDay; ; day--) {
    const key = ((ctx.todayDay - day) * DISTRICTS.length + areaIndex) * 2 + (male ? 1 : 0);
    if (key >= ctx.idSlots.length) throw new Error('ID sequence space exhausted');
    const used = ctx.idSlots[key]!;
    if (used >= slots) continue; // that day is full for this area and sex: one day earlier
    ctx.idSlots[key] = used + 1;
    const slot = (used * 7919 + (Math.imul(key, 0x9e3779b1) >>> 0)) % slots;
    const seq = String(male ? 2 * slot + 1 : 2 * slot + 2).padStart(3, '0');
    const first17 = DISTRICTS[areaIndex]!.code + String(packedFromDays(day)) + seq;
    return { idNumber: first17 + idCheckCharacter(first17), birthDay: day };
  }
}

interface Place {
  district: District;
  address: string;
  community: string;
  lat: number;
  lng: number;
}

function addressPrefix(rng: Rng, district: District): string {
  return (rng.chance(0.8) ? '山东省聊城市' : '聊城市') + district.name;
}

function communityPlace(rng: Rng, c: Community): Place {
  const flat = `${1 + rng.int(30)}号楼${1 + rng.int(4)}单元${1 + rng.int(18)}0${1 + rng.int(4)}室`;
  return {
    district: c.district,
    address: addressPrefix(rng, c.district) + c.street + flat,
    community: c.name,
    // ~200 m around the compound's centre: neighbours stay close together.
    lat: c.lat + (rng.next() - rng.next()) * 0.002,
    lng: c.lng + (rng.next() - rng.next()) * 0.002,
  };
}

function loosePlace(ctx: Ctx): Place {
  const rng = ctx.rng;
  const district = ctx.pickDistrict(rng);
  const rural = rng.chance(0.6);
  const where = rural
    ? `${rng.pick(district.towns)}${pickSurname(rng)}${rng.pick(VILLAGE_TAILS)}村${1 + rng.int(200)}号`
    : `${rng.pick(district.subdistricts)}${rng.pick(district.roads)}${1 + rng.int(300)}号`;
  const spread = rural ? 0.12 : 0.03;
  return {
    district,
    address: addressPrefix(rng, district) + where,
    community: '',
    lat: district.lat + (rng.next() - rng.next()) * spread,
    lng: district.lng + (rng.next() - rng.next()) * spread,
  };
}

/** First issue: at 18 or some years later, and (for older drivers) rarely before 1985. */
function firstIssuedDay(ctx: Ctx, birthDay: number): number {
  const adult = addYearsToDays(birthDay, 18);
  const lo = Math.min(Math.max(adult + ctx.rng.int(3 * 365), DAY_1985), ctx.todayDay);
  return Math.max(adult, lo + ctx.rng.int(ctx.todayDay - lo + 1));
}

/**
 * 6 years after first issue, then 10 years from each renewal, or 长期 (~10%, only for holders of
 * 16+ years). Some expire within ~6 months, a few expired under a year ago (never longer: that
 * licence would count as cancelled, RULES.md §3).
 */
function validUntil(ctx: Ctx, firstDay: number): string {
  const rng = ctx.rng;
  const firstExpiry = addYearsToDays(firstDay, 6);
  if (firstExpiry >= ctx.todayDay - 300) return fromDayNumber(firstExpiry);
  if (addYearsToDays(firstDay, 16) <= ctx.todayDay && rng.chance(0.18)) return '长期';
  const r = rng.next();
  const target = ctx.todayDay + (r < 0.01 ? -1 - rng.int(330) : r < 0.07 ? rng.int(181) : rng.int(3653));
  // The renewal 10 years before the target must come after the first expiry (early renewal ≤ 90 days).
  if (addYearsToDays(target, -10) < firstExpiry - 90) return fromDayNumber(addYearsToDays(firstExpiry, 10));
  return fromDayNumber(target);
}

/**
 * An approved extension (Art 65 para 1) runs a year at a time, at most to Bday(66) - 1 day. Half
 * the holders of 63 have one; at 64 and 65 a holder of A1-B2 still holds them only thanks to one.
 */
function extensionUntil(ctx: Ctx, profile: ClassProfile, birthDay: number, age: number): string {
  if (!profile.extendable || age < 63 || age > 65 || (age === 63 && !ctx.rng.chance(0.5))) return '';
  return fromDayNumber(addYearsToDays(birthDay, age + 1) - 1);
}

/**
 * Most drivers of 70+ submitted after the last cycle end; ~1 in 10 earlier or never, so they are
 * due now or overdue by months (a registry where a third is overdue would not be believed).
 */
function lastCertSubmitted(ctx: Ctx, firstDay: number, age: number): string {
  const rng = ctx.rng;
  if (age < 70 || !rng.chance(0.95)) return '';
  const years = yearsBetween(firstDay, ctx.todayDay);
  if (years < 1) return '';
  const cycleEnd = addYearsToDays(firstDay, years) - 1; // E_k of Order 163 Art 3 (RULES.md §1)
  if (rng.chance(0.93)) return fromDayNumber(cycleEnd + 1 + rng.int(Math.min(30, ctx.todayDay - cycleEnd)));
  const earlier = cycleEnd - 365 + 1 + rng.int(30);
  return earlier > firstDay ? fromDayNumber(earlier) : '';
}

const pickStatus = weightedPicker<string>([
  ['正常', 50], ['active', 30], ['', 15.5], ['Active', 3], ['注销', 0.5], ['cancelled', 0.5],
  ['吊销', 0.25], ['revoked', 0.25],
]);

/** Six decimals (~0.1 m), formatted from integers: toFixed was a tenth of the run time. */
function degrees(value: number): string {
  const micro = Math.round(value * 1e6);
  const fraction = micro % 1e6;
  return `${(micro - fraction) / 1e6}.${String(fraction).padStart(6, '0')}`;
}

function coordinates(rng: Rng, place: Place): [string, string] {
  if (rng.chance(0.05)) return ['', ''];
  return [degrees(place.lat), degrees(place.lng)];
}

function generateRow(ctx: Ctx, index: number): string[] {
  const rng = ctx.rng;
  const age = pickAge(rng);
  const place = rng.chance(0.85) ? communityPlace(rng, ctx.pickCommunity(rng)) : loosePlace(ctx);
  // Most senior licence holders are men.
  const male = rng.chance(age >= 60 ? 0.72 : 0.6);
  const person = identity(ctx, place.district, birthDayFor(ctx, age), male);
  const profile = classPickerFor(age)(rng);
  const firstDay = firstIssuedDay(ctx, person.birthDay);
  const [lat, lng] = coordinates(rng, place);
  return [
    fileNumber(ctx, index),
    person.idNumber,
    pickSurname(rng) + givenName(rng, male),
    phone(rng),
    place.address,
    place.community,
    writeClasses(rng, profile.codes),
    fromDayNumber(firstDay),
    validUntil(ctx, firstDay),
    extensionUntil(ctx, profile, person.birthDay, age),
    lastCertSubmitted(ctx, firstDay, age),
    pickStatus(rng),
    lat,
    lng,
  ];
}

function checkOptions(options: RegistryDemoOptions): void {
  if (!Number.isInteger(options.count) || options.count < 0 || options.count > MAX_COUNT) {
    throw new RangeError(`count must be an integer in 0..${MAX_COUNT}`);
  }
  if (!Number.isInteger(options.seed)) throw new RangeError('seed must be an integer');
  if (!isCivilDate(options.today) || options.today < '1990-01-01') {
    throw new RangeError('today must be a YYYY-MM-DD date from 1990 on');
  }
}

/** The header row, then `count` data rows, as cell strings (RULES.md §2 column order). */
export function* generateRegistryRows(options: RegistryDemoOptions): Generator<string[], void, undefined> {
  checkOptions(options);
  yield [...(options.chineseHeaders === true ? HEADER_ZH : HEADER_EN)];
  const ctx = createCtx(options);
  for (let i = 0; i < options.count; i++) yield generateRow(ctx, i);
}

// ---------------------------------------------------------------------------------------------
// CSV

/** About 64 K characters (~150 KB of UTF-8) per chunk: few writes, little memory. */
const CHUNK_CHARS = 1 << 16;

interface WriteTally {
  rows: number;
  bytes: number;
}

/** The CSV as UTF-8 chunks, counting data rows and bytes as they are produced. */
function* csvChunks(options: RegistryDemoOptions, tally: WriteTally): Generator<Buffer, void, undefined> {
  let pending = '';
  let header = true;
  for (const row of generateRegistryRows(options)) {
    pending += toCsvLine(row);
    if (header) header = false;
    else tally.rows++;
    if (pending.length >= CHUNK_CHARS) {
      const chunk = Buffer.from(pending, 'utf8');
      tally.bytes += chunk.length;
      pending = '';
      yield chunk;
    }
  }
  const last = Buffer.from(pending, 'utf8');
  tally.bytes += last.length;
  if (last.length > 0) yield last;
}

/**
 * Streams the registry as CSV (UTF-8 without BOM, LF line ends, header first). `pipeline` pulls a
 * chunk only when the destination has room (backpressure) and rejects on any stream error, so
 * memory stays flat however many rows. A path is created and closed here; a stream the caller
 * passes is left open (it may be stdout or an HTTP response). `rows` counts data rows and `bytes`
 * is the exact size written.
 */
export async function writeRegistryCsv(options: WriteRegistryCsvOptions): Promise<{ rows: number; bytes: number }> {
  const { out, ...rest } = options;
  checkOptions(rest);
  const tally: WriteTally = { rows: 0, bytes: 0 };
  const source = Readable.from(csvChunks(rest, tally));
  if (typeof out === 'string') {
    // A 1 MiB buffer lets generation run ahead of the disk instead of waiting on every chunk.
    await pipeline(source, createWriteStream(out, { highWaterMark: 1 << 20 }));
  } else {
    await pipeline(source, out, { end: false });
  }
  return { rows: tally.rows, bytes: tally.bytes };
}
