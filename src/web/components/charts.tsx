/**
 * The dashboard's charts (issue 15): pure hono/jsx, server-rendered SVG, no script. Each chart is
 * an image with a name (<title>) and a description in words (<desc>), and the same numbers in a
 * visually hidden table for screen readers. Drawn in a 360-unit-wide viewBox with width 100%, so
 * that the text stays readable on a 390 px phone; colours are SVG attributes (the CSP allows no
 * style attributes). Chinese labels.
 */
import type { Child } from 'hono/jsx';

/** The viewBox width: about the width of a phone's content column, so that 1 unit is about 1 px. */
const WIDTH = 360;
const FONT = 13;
const INK = '#1f2933';
const MUTED = '#5f6b7a';
const BAR = '#0b5cad';
const TRACK = '#eef1f4';
const ALERT = '#b42318';

const number = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
/** A fraction (0.25) as `25.0%`; `—` when there is none. */
export const percentText = (rate: number | null | undefined) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);
const minutesText = (m: number | null) => (m === null ? '—' : `${number(m)} 分钟`);

/** A stable id from the title (two charts of one page have different titles). */
function chartId(title: string, id: string | undefined): string {
  if (id) return id;
  let h = 0;
  for (const ch of title) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return `chart-${h.toString(36)}`;
}

/** The frame every chart shares: the image with its name and description, then the table. */
function Chart(props: { id: string; title: string; description: string; height: number; svg: Child; table: Child }) {
  const titleId = `${props.id}-title`;
  const descId = `${props.id}-desc`;
  return (
    <div class="chart-figure" id={props.id}>
      <svg
        class="chart"
        role="img"
        aria-labelledby={titleId}
        aria-describedby={descId}
        viewBox={`0 0 ${WIDTH} ${props.height}`}
        width="100%"
        preserveAspectRatio="xMinYMin meet"
        font-size={FONT}
        font-family="inherit"
      >
        <title id={titleId}>{props.title}</title>
        <desc id={descId}>{props.description}</desc>
        {props.svg}
      </svg>
      <table class="visually-hidden">
        <caption>{props.title}</caption>
        {props.table}
      </table>
    </div>
  );
}

/** One labelled horizontal bar: the label and its value on a line, the bar under it. */
function BarRow(props: { y: number; label: string; value: string; fraction: number }) {
  const clipped = props.fraction > 1;
  const length = props.fraction > 0 ? Math.max(2, Math.round(Math.min(1, props.fraction) * WIDTH)) : 0;
  return (
    <g>
      <text x={0} y={props.y + FONT} fill={INK}>
        {props.label}
      </text>
      <text x={WIDTH} y={props.y + FONT} fill={INK} text-anchor="end">
        {props.value}
      </text>
      <rect x={0} y={props.y + 18} width={WIDTH} height={12} rx={2} fill={TRACK} />
      {length > 0 ? <rect x={0} y={props.y + 18} width={length} height={12} rx={2} fill={BAR} /> : null}
      {/* a bar longer than the scale: cut, and the cut shown as a break */}
      {clipped ? <path d={`M${WIDTH - 30} ${props.y + 32}l6 -16m4 16l6 -16`} stroke="#ffffff" stroke-width={3} fill="none" /> : null}
    </g>
  );
}

const ROW = 40;

export interface FunnelStepInput {
  label: string;
  count: number;
  /** The share of the previous step (0.5 = 50%); null for the first step or nothing to divide by. */
  rate: number | null;
}

/**
 * The funnel: one bar per step, its length the step's count against the largest step from
 * `scaleFrom` on (default 0: all steps). With `scaleFrom: 1` the licences screened, often a
 * hundred times the drivers due, no longer flatten every other bar: their bar is cut.
 */
export function FunnelChart(props: { steps: readonly FunnelStepInput[]; title?: string; unit?: string; id?: string; scaleFrom?: number }) {
  const title = props.title ?? '办理漏斗';
  const unit = props.unit ?? '人';
  const max = Math.max(0, ...props.steps.slice(props.scaleFrom ?? 0).map((s) => s.count));
  const value = (s: FunnelStepInput) => `${number(s.count)} ${unit}${s.rate === null ? '' : `（${percentText(s.rate)}）`}`;
  const description =
    props.steps.length === 0
      ? '没有数据。'
      : `${props.steps.map((s) => `${s.label} ${number(s.count)} ${unit}${s.rate === null ? '' : `，为上一步的 ${percentText(s.rate)}`}`).join('；')}。`;
  return (
    <Chart
      id={chartId(title, props.id)}
      title={title}
      description={description}
      height={Math.max(ROW, props.steps.length * ROW)}
      svg={props.steps.map((s, i) => (
        <BarRow y={i * ROW} label={s.label} value={value(s)} fraction={max > 0 ? s.count / max : 0} />
      ))}
      table={
        <>
          <thead>
            <tr>
              <th scope="col">步骤</th>
              <th scope="col">人数</th>
              <th scope="col">较上一步</th>
            </tr>
          </thead>
          <tbody>
            {props.steps.map((s) => (
              <tr>
                <th scope="row">{s.label}</th>
                <td>{number(s.count)}</td>
                <td>{percentText(s.rate)}</td>
              </tr>
            ))}
          </tbody>
        </>
      }
    />
  );
}

/** Horizontal bars (labels such as community names can be long): one per item, longest first as given. */
export function BarChart(props: { bars: readonly { label: string; value: number }[]; title: string; unit?: string; id?: string; empty?: string }) {
  const unit = props.unit ? ` ${props.unit}` : '';
  const max = Math.max(0, ...props.bars.map((b) => b.value));
  const empty = props.empty ?? '没有数据';
  const description = props.bars.length === 0 ? `${empty}。` : `${props.bars.map((b) => `${b.label} ${number(b.value)}${unit}`).join('；')}。`;
  return (
    <Chart
      id={chartId(props.title, props.id)}
      title={props.title}
      description={description}
      height={Math.max(ROW, props.bars.length * ROW)}
      svg={
        props.bars.length === 0 ? (
          <text x={0} y={FONT + 4} fill={MUTED}>
            {empty}
          </text>
        ) : (
          props.bars.map((b, i) => <BarRow y={i * ROW} label={b.label} value={`${number(b.value)}${unit}`} fraction={max > 0 ? b.value / max : 0} />)
        )
      }
      table={
        <>
          <thead>
            <tr>
              <th scope="col">项目</th>
              <th scope="col">{props.unit ? `数量（${props.unit}）` : '数量'}</th>
            </tr>
          </thead>
          <tbody>
            {props.bars.map((b) => (
              <tr>
                <th scope="row">{b.label}</th>
                <td>{number(b.value)}</td>
              </tr>
            ))}
          </tbody>
        </>
      }
    />
  );
}

/** A round top of the minutes axis: past the promise and the 90th percentile, in steps of 5. */
function axisTop(values: readonly (number | null)[], promise: number): number {
  const highest = Math.max(promise, ...values.filter((v): v is number => v !== null));
  return Math.ceil((highest * 1.1) / 5) * 5;
}

/**
 * Exam start -> 12123 acceptance as a strip on a minutes axis: the median and the 90th percentile
 * marked, the promise (10 minutes) a red line. Nothing measured: the axis and the promise only.
 */
export function PercentileStrip(props: {
  medianMinutes: number | null;
  p90Minutes: number | null;
  promiseMinutes: number;
  /** How many were measured, and the share under the promise (0.9 = 90%). */
  measured: number;
  withinPromiseShare: number | null;
  title?: string;
  id?: string;
}) {
  const title = props.title ?? '体检开始至 12123 受理用时';
  const top = axisTop([props.medianMinutes, props.p90Minutes], props.promiseMinutes);
  const left = 8;
  const right = WIDTH - 8;
  const x = (m: number) => Math.round((left + ((right - left) * m) / top) * 10) / 10;
  const axisY = 80;
  const ticks = Array.from({ length: top / 5 + 1 }, (_, i) => i * 5);
  const within = percentText(props.withinPromiseShare);
  const description =
    props.measured === 0
      ? `本期没有可计时的受理。承诺 ${props.promiseMinutes} 分钟内。`
      : `共 ${number(props.measured)} 件：中位数 ${minutesText(props.medianMinutes)}，90% 分位 ${minutesText(props.p90Minutes)}；承诺 ${props.promiseMinutes} 分钟内，达标 ${within}。`;
  // Labels on their own lines, so that close values do not overlap.
  const mark = (m: number | null, label: string, labelY: number) =>
    m === null ? null : (
      <g>
        <line x1={x(m)} y1={labelY + 4} x2={x(m)} y2={axisY} stroke={BAR} stroke-width={3} />
        <text x={x(m)} y={labelY} fill={INK} text-anchor={x(m) > WIDTH / 2 ? 'end' : 'start'}>
          {`${label} ${minutesText(m)}`}
        </text>
      </g>
    );
  const promiseX = x(props.promiseMinutes);
  // Labels run right of their mark in the left half, left of it in the right half: the upper
  // label is the one whose text runs away from the other mark's line.
  const medianOnTop = props.p90Minutes === null || x(props.p90Minutes) <= WIDTH / 2;
  return (
    <Chart
      id={chartId(title, props.id)}
      title={title}
      description={description}
      height={122}
      svg={
        <>
          <text x={left} y={FONT + 2} fill={INK}>
            {props.measured === 0 ? '本期无数据' : `共 ${number(props.measured)} 件，${props.promiseMinutes} 分钟内达标 ${within}`}
          </text>
          {props.medianMinutes !== null && props.p90Minutes !== null ? (
            <rect x={x(props.medianMinutes)} y={axisY - 14} width={Math.max(1, x(props.p90Minutes) - x(props.medianMinutes))} height={14} fill={TRACK} />
          ) : null}
          <line x1={left} y1={axisY} x2={right} y2={axisY} stroke={MUTED} stroke-width={1} />
          {ticks.map((m) => (
            <g>
              <line x1={x(m)} y1={axisY} x2={x(m)} y2={axisY + 4} stroke={MUTED} />
              <text x={x(m)} y={axisY + 18} fill={MUTED} text-anchor="middle" font-size={11}>
                {String(m)}
              </text>
            </g>
          ))}
          <line x1={promiseX} y1={axisY - 22} x2={promiseX} y2={axisY + 4} stroke={ALERT} stroke-width={2} stroke-dasharray="4 3" />
          <text x={promiseX > WIDTH / 2 ? promiseX - 4 : promiseX + 4} y={axisY + 36} fill={ALERT} text-anchor={promiseX > WIDTH / 2 ? 'end' : 'start'}>
            {`承诺 ${props.promiseMinutes} 分钟`}
          </text>
          {mark(props.medianMinutes, '中位数', medianOnTop ? 36 : 54)}
          {mark(props.p90Minutes, '90% 分位', medianOnTop ? 54 : 36)}
        </>
      }
      table={
        <tbody>
          <tr>
            <th scope="row">计时件数</th>
            <td>{number(props.measured)}</td>
          </tr>
          <tr>
            <th scope="row">中位数</th>
            <td>{minutesText(props.medianMinutes)}</td>
          </tr>
          <tr>
            <th scope="row">90% 分位</th>
            <td>{minutesText(props.p90Minutes)}</td>
          </tr>
          <tr>
            <th scope="row">{`${props.promiseMinutes} 分钟内达标`}</th>
            <td>{within}</td>
          </tr>
        </tbody>
      }
    />
  );
}
