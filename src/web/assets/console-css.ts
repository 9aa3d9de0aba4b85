/**
 * The console's one stylesheet, served by the app itself (src/web/assets.ts): the office intranet
 * may have no internet, and the Worker has no files to read. Desktop 1280 px and phone 390 px.
 */
export const CONSOLE_CSS = String.raw`
:root {
  --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --paper: #ffffff; --ground: #f4f6f9;
  --brand: #0b5cad; --brand-ink: #ffffff; --good: #1e7b45; --warn: #9a5b00; --bad: #b42318; --info: #0b5cad;
  --good-bg: #e6f4ea; --warn-bg: #fff4e0; --bad-bg: #fdecea; --info-bg: #e8f1fb; --neutral-bg: #eef1f4;
  font-family: "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", system-ui, sans-serif;
  color: var(--ink); background: var(--ground); font-size: 15px; line-height: 1.6;
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--brand); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid #f5a524; outline-offset: 2px;
}
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: var(--paper); padding: 4px 8px; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: var(--muted); }
.topbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 20px; background: var(--brand); color: var(--brand-ink); }
.topbar a, .topbar .link { color: var(--brand-ink); }
.brand { font-weight: 700; font-size: 17px; text-decoration: none; }
.today { opacity: 0.9; }
.who { margin-left: auto; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.inline { display: inline; margin: 0; }
button.link { background: none; border: 0; padding: 0; font: inherit; text-decoration: underline; cursor: pointer; color: var(--brand); }
.frame { display: flex; align-items: flex-start; }
.sidenav { width: 200px; flex: none; padding: 16px 0 16px 12px; }
.sidenav summary { display: none; }
.sidenav ul { list-style: none; margin: 0; padding: 0; }
.sidenav a { display: block; padding: 7px 12px; border-radius: 6px; text-decoration: none; color: var(--ink); }
.sidenav a[aria-current="page"] { background: var(--info-bg); color: var(--brand); font-weight: 700; }
.sidenav a:hover { background: var(--neutral-bg); }
main { flex: 1; min-width: 0; padding: 16px 24px 48px; }
main:focus { outline: none; }
h1 { font-size: 22px; margin: 4px 0 12px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.title-row .actions { margin-left: auto; display: flex; gap: 8px; flex-wrap: wrap; }
.breadcrumbs ol { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 0; font-size: 13px; color: var(--muted); }
.breadcrumbs li + li::before { content: "/"; margin-right: 4px; }
.card > h2:first-child, .card > h3:first-child { margin-top: 0; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 12px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 12px; }
.stat { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.stat-label { color: var(--muted); font-size: 13px; }
.stat-value { font-size: 24px; font-weight: 700; }
.stat-note { font-size: 13px; color: var(--muted); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; white-space: nowrap; background: var(--neutral-bg); }
.badge-good { background: var(--good-bg); color: var(--good); }
.badge-warn { background: var(--warn-bg); color: var(--warn); }
.badge-bad { background: var(--bad-bg); color: var(--bad); }
.badge-info { background: var(--info-bg); color: var(--info); }
.flash { padding: 10px 14px; border-radius: 6px; margin: 8px 0 12px; border: 1px solid; }
.flash-good { background: var(--good-bg); color: var(--good); }
.flash-bad { background: var(--bad-bg); color: var(--bad); }
.flash-info { background: var(--info-bg); color: var(--info); }
.error-summary { border: 2px solid var(--bad); background: var(--bad-bg); padding: 8px 16px; border-radius: 6px; margin: 8px 0; }
.error-summary h2 { margin: 4px 0; color: var(--bad); }
.table-wrap { overflow-x: auto; background: var(--paper); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: 10px 12px; font-weight: 700; }
th, td { text-align: left; padding: 8px 12px; border-top: 1px solid var(--line); vertical-align: top; }
th { background: var(--neutral-bg); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td time { white-space: nowrap; }
/* On a phone a table scrolls sideways rather than squeezing a column to one character a line. */
td { min-width: 5.5em; }
td.num { min-width: 0; }
.dropzone label { display: block; margin-bottom: 8px; }
td.empty { color: var(--muted); text-align: center; padding: 24px; }
.pager { display: flex; justify-content: space-between; padding: 10px 12px; border-top: 1px solid var(--line); }
.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 12px 0; }
.filter { display: flex; flex-direction: column; font-size: 13px; }
.filter-actions { display: flex; gap: 12px; align-items: center; }
form.stack { display: flex; flex-direction: column; gap: 12px; max-width: 480px; }
.field { display: flex; flex-direction: column; gap: 4px; }
.field label { font-weight: 600; }
.field .hint { margin: 0; font-size: 13px; color: var(--muted); }
.field-error input, .field-error select, .field-error textarea { border-color: var(--bad); }
.error-text { margin: 0; color: var(--bad); font-weight: 600; }
input, select, textarea { font: inherit; padding: 7px 9px; border: 1px solid #aab4c0; border-radius: 6px; background: var(--paper); color: var(--ink); }
button, .button { font: inherit; padding: 7px 16px; border-radius: 6px; border: 1px solid var(--brand); background: var(--brand); color: var(--brand-ink); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: var(--paper); color: var(--brand); }
button.danger { background: var(--bad); border-color: var(--bad); }
button[disabled] { opacity: 0.6; cursor: progress; }
.masked { font-variant-numeric: tabular-nums; letter-spacing: 0.02em; }
input.token { width: 100%; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.dropzone { border: 2px dashed #aab4c0; border-radius: 8px; padding: 24px; text-align: center; background: var(--paper); }
.dropzone.over { border-color: var(--brand); background: var(--info-bg); }
progress { width: 100%; height: 14px; }
.signin { max-width: 380px; margin: 10vh auto; background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 28px; }
.signin h1 { text-align: center; }
.signin .brand-line { text-align: center; color: var(--muted); margin-top: -6px; }
.chart { width: 100%; height: auto; max-width: 560px; }
.chart-figure { margin: 8px 0 12px; }
.section-hint { margin: 0 0 8px; font-size: 13px; color: var(--muted); max-width: 60em; }
.period-form { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; }
.quick-periods { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 10px 0 4px; }
.quick-periods a[aria-current] { font-weight: 700; text-decoration: none; color: var(--ink); }
.period-line { margin: 4px 0; font-weight: 600; }
.period h2 { margin-top: 0; }
.period-form .field { max-width: 17em; }
.figures-wrap { max-width: 760px; }
.figures-wrap tbody th { background: var(--paper); }
.figures-wrap th.step { white-space: normal; }
.figures-wrap .step-hint { display: block; font-weight: 400; font-size: 13px; color: var(--muted); }
.figures-grid { grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); margin: 8px 0; max-width: 1000px; }
.tabs ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0 0 12px; padding: 0; border-bottom: 1px solid var(--line); }
.tabs a { display: inline-flex; align-items: center; gap: 6px; padding: 8px 12px; text-decoration: none; color: var(--ink); border-bottom: 3px solid transparent; }
.tabs a[aria-current="page"] { border-bottom-color: var(--brand); color: var(--brand); font-weight: 700; }
.tab-count { display: inline-block; min-width: 1.6em; padding: 0 6px; border-radius: 10px; background: var(--neutral-bg); font-size: 13px; text-align: center; font-variant-numeric: tabular-nums; }
.subtabs { display: flex; gap: 16px; margin: 8px 0; }
.subtabs a[aria-current="page"] { font-weight: 700; color: var(--ink); text-decoration: none; }
ol.ladder { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
ol.ladder li + li::before { content: "→"; color: var(--muted); margin-right: 4px; }
.form-row { display: flex; flex-wrap: wrap; gap: 12px 16px; align-items: flex-start; margin: 8px 0 12px; }
.form-row .field { flex: 1 1 12em; max-width: 22em; }
fieldset.choices { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 0; display: flex; flex-wrap: wrap; gap: 6px 16px; }
fieldset.choices.field-error { border-color: var(--bad); }
fieldset.choices legend { font-weight: 600; padding: 0 4px; }
fieldset.choices .error-text { flex-basis: 100%; }
.choice { display: inline-flex; align-items: center; gap: 6px; }
ul.call-list, ul.plain { list-style: none; padding: 0; margin: 0; }
.call-card h3 { margin: 0 0 8px; font-size: 16px; }
.outcome-form { margin-top: 12px; border-top: 1px solid var(--line); padding-top: 12px; display: flex; flex-direction: column; gap: 10px; align-items: flex-start; }
.outcome-form .field, .outcome-form textarea { width: 100%; max-width: 40em; }
.reply-body { margin: 8px 0; padding: 8px 12px; border-left: 4px solid var(--brand); background: var(--info-bg); white-space: pre-wrap; overflow-wrap: anywhere; }
p.card.empty { color: var(--muted); }
.start-form h2, .call-card h3 { margin-top: 0; }
.block { display: block; }
/* The planning board (src/web/planning/board.tsx) and its route map. */
.route-map { margin: 8px 0 12px; }
.route-map svg.map { width: 100%; height: auto; max-width: 760px; border: 1px solid var(--line); border-radius: 8px; background: #f8fafc; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0; padding: 0; font-size: 13px; }
svg.swatch { vertical-align: middle; margin-right: 6px; }
.map-list h3 { font-size: 15px; margin: 8px 0 4px; }
.visit-actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.visit-actions form { display: flex; flex-wrap: wrap; gap: 4px; margin: 0; }
.visit-actions button, .visit-actions select { padding: 3px 8px; font-size: 13px; }
.visit-actions button { white-space: nowrap; }
td:has(> .visit-actions) { min-width: 16em; }
details.sms summary { font-size: 13px; cursor: pointer; color: var(--brand); }
.sms-text { margin: 4px 0 0; padding: 6px 8px; max-width: 26em; background: var(--info-bg); border-radius: 6px; font-size: 13px; overflow-wrap: anywhere; }
ul.unplanned li { padding: 4px 0; border-top: 1px solid var(--line); }
.shift-card h2 { margin-top: 0; }
/* The week of shifts (src/web/planning/shifts.tsx). */
.week-nav { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; margin: 8px 0 12px; }
table.week td, table.week th { min-width: 6.5em; }
table.week th.crew-cell { white-space: normal; background: var(--paper); }
table.week .today-col { background: var(--info-bg); }
li.shift-chip { padding: 2px 0; }
li.shift-chip + li.shift-chip { border-top: 1px dashed var(--line); }
li.shift-cancelled, li.shift-cancelled a { color: var(--muted); }
fieldset.place { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 0; display: flex; flex-direction: column; gap: 8px; }
fieldset.place legend { font-weight: 600; padding: 0 4px; }
fieldset.place .form-row { margin: 0; }
fieldset.place .form-row .field { min-width: 0; flex-basis: 8em; }
fieldset.place .form-row input { width: 100%; }
/* A phone sees the week day by day; the crew x day table needs a desk's width. */
.week-list { display: none; list-style: none; margin: 0; padding: 0; }
.week-list h3 { margin: 0 0 4px; font-size: 15px; }
.week-list > li.card { margin: 8px 0; padding: 10px 12px; }
@media (max-width: 760px) { .week-table { display: none; } .week-list { display: block; } }
/* The crew's phone pages (src/web/crew/): cards and thumb-sized targets, no tables. */
ol.stops { list-style: none; margin: 0; padding: 0; }
.stop-card h3 { margin: 4px 0; font-size: 18px; }
.stop-card h3 a { display: inline-block; min-height: 44px; line-height: 44px; }
.stop-head { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.stop-seq { display: inline-flex; justify-content: center; align-items: center; width: 32px; height: 32px; border-radius: 16px; background: var(--brand); color: var(--brand-ink); font-weight: 700; }
.stop-window { font-size: 17px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stop-place, .stop-needs { margin: 6px 0; overflow-wrap: anywhere; }
.stop-links { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.stop-links .button, .stop-open, button.big, .button.big { min-height: 48px; padding: 10px 18px; font-size: 17px; line-height: 26px; }
.stop-open { display: block; text-align: center; margin-top: 8px; }
.action-form { display: flex; flex-direction: column; gap: 10px; align-items: stretch; margin: 0 0 16px; }
.action-form + .action-form { border-top: 1px solid var(--line); padding-top: 16px; }
.action-form h3 { margin: 0; }
.big-choice, .big-choices .choice { min-height: 44px; font-size: 16px; }
.big-choice input, .big-choices input { width: 24px; height: 24px; }
.exam-form { max-width: 560px; }
.exam-form select, .exam-form input[type=number], .exam-form input:not([type]) { min-height: 44px; font-size: 17px; }
.exam-status:empty { display: none; }
.exam-status { padding: 10px 12px; border-radius: 6px; background: var(--warn-bg); color: var(--warn); font-weight: 600; }
.follow-up h2 { margin-top: 0; }
@media (max-width: 760px) {
  .frame { display: block; }
  .sidenav { width: auto; padding: 8px 12px 0; }
  .sidenav summary { display: block; cursor: pointer; padding: 6px 0; font-weight: 600; }
  main { padding: 12px 12px 40px; }
  .topbar { padding: 8px 12px; }
  .who { margin-left: 0; }
}
@media print {
  .topbar, .sidenav, .filters, .pager, .actions, .skip { display: none; }
  body, :root { background: #fff; }
}
`;
