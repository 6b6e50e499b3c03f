/**
 * The offline HTML report: one self-contained file (no CDN, no web fonts, no network) holding the report
 * data as JSON, the uPlot stylesheet plus our page CSS, and the page script (src/report/page.ts bundled
 * with uPlot) that turns the JSON into charts when the file is opened.
 *
 * This file defines the data model (`ReportData`, one variant per section kind) and writes the HTML
 * string. It does not read files (src/cli/report-assets.ts loads the bundle and CSS) and does not draw
 * (page.ts does, with the builders in charts.ts). Browser-safe.
 *
 * Adding a section kind: add its interface to `ReportSection` here, then one renderer to the `renderers`
 * table in page.ts; that table is typed by `ReportSection['kind']`, so the compiler points at it.
 */

export interface ScatterPanel {
  title: string;
  x: number[];
  y: number[];
  color?: string;
}

/** Point clouds side by side with shared square ranges (e.g. data, samples at several step counts). */
export interface ScatterRowSection {
  kind: 'scatterRow';
  title: string;
  panels: ScatterPanel[];
  note?: string;
}

export interface LossSection {
  kind: 'loss';
  title?: string;
  step: number[];
  loss: number[];
}

export interface ScheduleSection {
  kind: 'schedule';
  title?: string;
  t: number[];
  beta: number[];
  alphaBar: number[];
}

export interface TrajectoriesSection {
  kind: 'trajectories';
  title: string;
  paths: { x: number[]; y: number[] }[];
  background: { x: number[]; y: number[] };
  /** Wheel colour per path (colour.ts wheelIndex); one colour for all without. */
  colors?: number[];
  note?: string;
}

/** Points in wheel colours side by side, shared ranges; `key` adds the colour wheel itself as the first panel. */
export interface WheelRowSection {
  kind: 'wheelRow';
  title: string;
  /** `ownRange`: this panel is scaled to itself, the others share one range (e.g. the starts beside their endings). */
  panels: { title: string; x: number[]; y: number[]; color: number[]; caption?: string; ownRange?: boolean }[];
  /** Grey points under every panel (the data). */
  background?: { x: number[]; y: number[] };
  key?: boolean;
  note?: string;
}

/** Fans side by side: a few starts, each run many times (charts.ts fanChart). */
export interface FanRowSection {
  kind: 'fanRow';
  title: string;
  panels: { title: string; groups: { start: [number, number]; x: number[]; y: number[]; color: number }[]; caption?: string }[];
  background: { x: number[]; y: number[] };
  note?: string;
}

/** One coordinate of a few dozen points against t per panel, lines in wheel colours. */
export interface PositionsSection {
  kind: 'positions';
  title: string;
  panels: { title: string; t: number[]; lines: { y: number[]; color: number }[]; reversed?: boolean; yLabel?: string; caption?: string }[];
  note?: string;
}

/** The learned field at a few t: arrows on a grid over q(x_t) (charts.ts fieldChart). */
export interface FieldRowSection {
  kind: 'fieldRow';
  title: string;
  panels: {
    title: string; grid: { x: number[]; y: number[]; u: number[]; v: number[] }; points: { x: number[]; y: number[] }; caption?: string;
  }[];
  note?: string;
}

export interface LinesSection {
  kind: 'lines';
  title: string;
  x: number[];
  /** color / dash: a fixed line drawn its own way (a reference level, a band's edge). */
  series: { label: string; y: number[]; color?: string; dash?: number[] }[];
  logX?: boolean;
  logY?: boolean;
  xLabel?: string;
  yLabel?: string;
  /** Draw as grouped bars instead of lines. */
  bars?: boolean;
  note?: string;
}

export interface TableSection {
  kind: 'table';
  title: string;
  columns: string[];
  rows: (string | number)[][];
  note?: string;
}

/** Trusted HTML written by our own code (never user-supplied text without escaping it first). */
export interface TextSection {
  kind: 'text';
  title: string;
  html: string;
}

export type ReportSection =
  | ScatterRowSection
  | LossSection
  | ScheduleSection
  | TrajectoriesSection
  | WheelRowSection
  | FanRowSection
  | PositionsSection
  | FieldRowSection
  | LinesSection
  | TableSection
  | TextSection;

export interface ReportData {
  title: string;
  subtitle?: string;
  config: Record<string, string | number>;
  sections: ReportSection[];
}

export interface ReportAssets {
  /** The bundled page script (dist/report-page.js). */
  pageJs: string;
  /** uPlot's stylesheet (dist/report.css). */
  css: string;
}

/** Round to `digits` significant digits; integers (steps, counts, seeds) are kept exact. */
export function roundSig(v: number, digits = 6): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return v;
  return Number(v.toPrecision(digits));
}

/**
 * The report data as JSON safe to place inside `<script type="application/json">`: numbers rounded to
 * ~6 significant digits (float32 values otherwise print 17 digits and triple the file), typed arrays
 * written as arrays, non-finite numbers as null, and every `<` escaped as \u003c so no string in the
 * data can close the script element or open a comment.
 */
export function serializeReportData(data: ReportData, digits = 6): string {
  const json = JSON.stringify(data, (_key, value: unknown) => {
    if (typeof value === 'number') return roundSig(value, digits);
    if (typeof value === 'bigint') return Number(value);
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
    return value;
  });
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Inline script or style text cannot contain its own closing tag; `<\/` means the same inside JS strings
 * and regexes. (`<!--` is left alone: rewriting it is not valid in every JS context, and the bundle has
 * none, which a test checks.)
 */
function escapeRawText(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

/** Page layout and typography; class names are the ones page.ts creates. */
const PAGE_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header .subtitle { color: #555; margin: 0 0 16px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 2px 16px;
  margin: 0 0 8px; padding: 10px 12px; background: #f6f7f9; border: 1px solid #e3e5e8; border-radius: 6px; }
.config div { display: flex; justify-content: space-between; gap: 8px; min-width: 0; }
.config dt { color: #555; white-space: nowrap; }
.config dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
section { margin-top: 28px; }
section h2 { font-size: 18px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid #e3e5e8; }
.note { color: #555; margin: 6px 0 0; }
.row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.chart { min-width: 0; }
.panel { min-width: 0; }
.caption { color: #555; font-size: 12px; line-height: 1.35; margin: 2px 0 0; }
.key .u-title { font-weight: 400 !important; }
.data-table th, .data-table td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
.data-table th { background: #f6f7f9; border-bottom: 1px solid #ddd; font-weight: 600; }
.data-table th:first-child, .data-table td:first-child { text-align: left; }
.error { color: #b00020; }
footer { margin-top: 40px; color: #888; font-size: 12px; }
.u-title { font-size: 13px !important; font-weight: 600 !important; }
.u-legend { font-size: 12px; }
`;

export function renderReport(data: ReportData, assets: ReportAssets): string {
  const title = escapeHtml(data.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ddpm-wasm">
<title>${title}</title>
<style>
${escapeRawText(assets.css, 'style')}
${PAGE_CSS}
</style>
</head>
<body>
<main id="report"><header><h1>${title}</h1></header>\
<noscript><p>This report draws its charts with JavaScript; enable it to see them.</p></noscript></main>
<script type="application/json" id="report-data">${serializeReportData(data)}</script>
<script>
${escapeRawText(assets.pageJs, 'script')}
</script>
</body>
</html>
`;
}
