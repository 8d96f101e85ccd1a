import type { EngineBenchResult } from '../engine/engine-bench.js';
import type { StoreResult } from '../store/store-bench.js';
import type { MachineInfo } from './machine.js';
import { formatMs, formatRatio, formatSummary, type Summary } from './stats.js';
import type { TargetCheck } from './targets.js';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Bar { label: string; summary: Summary; color: string }

/** Horizontal bars (median) with a min–max whisker; log scale when values span more than 20×. */
function barChart(title: string, bars: Bar[], options: { log?: boolean } = {}): string {
  const width = 720;
  const labelWidth = 210;
  const valueWidth = 150;
  const rowHeight = 24;
  const plot = width - labelWidth - valueWidth;
  const max = Math.max(...bars.map((b) => b.summary.max).filter(Number.isFinite), 1);
  const min = Math.max(Math.min(...bars.map((b) => b.summary.min).filter((v) => Number.isFinite(v) && v > 0), max), 0.1);
  const log = options.log ?? max / min > 20;
  const floor = log ? Math.pow(10, Math.floor(Math.log10(min))) : 0;
  const x = (v: number): number => {
    if (!Number.isFinite(v) || v <= 0) return 0;
    return log ? (plot * (Math.log10(v) - Math.log10(floor))) / (Math.log10(max) - Math.log10(floor)) : (plot * v) / max;
  };
  const height = 30 + bars.length * rowHeight + 10;
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * rowHeight;
      const w = Math.max(1, x(b.summary.median));
      return [
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(b.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${b.color}"><title>${escape(formatSummary(b.summary))} ms</title></rect>`,
        `<line x1="${(labelWidth + x(b.summary.min)).toFixed(1)}" x2="${(labelWidth + x(b.summary.max)).toFixed(1)}" y1="${y + 11}" y2="${y + 11}" stroke="#222" stroke-width="1"/>`,
        `<text x="${labelWidth + plot + 6}" y="${y + 15}">${escape(formatMs(b.summary.median))} ms</text>`,
      ].join('');
    })
    .join('\n');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escape(title)}">
<text x="0" y="16" font-weight="bold">${escape(title)}${log ? ' (log scale)' : ''}</text>
${rows}
</svg></figure>`;
}

function table(markdownLike: string[][], header: string[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${markdownLike
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderHtml(args: { title: string; startedAt: string; mode: string; machine: MachineInfo; engine?: EngineBenchResult; targets?: TargetCheck[]; store?: StoreResult }): string {
  const body: string[] = [];
  body.push(`<h1>${escape(args.title)}</h1><p>Run ${escape(args.startedAt)}, mode ${escape(args.mode)}.</p>`);
  const m = args.machine;
  body.push(`<h2>Machine</h2><ul><li>CPU: ${escape(m.cpuModel)}, ${m.cores} cores (${m.arch})</li><li>Memory: ${m.memoryGiB} GiB</li><li>OS: ${escape(m.os)}</li><li>Node ${escape(m.node)} (V8 ${escape(m.v8)})</li><li>Load average at start: ${m.loadAverageAtStart}</li></ul>`);
  if (args.engine && args.targets) {
    const e = args.engine;
    body.push('<h2>@cache/engine: targets</h2>');
    body.push(
      table(
        args.targets.map((t) => [escape(t.target), escape(t.subject), t.threshold === 'all' ? (t.pass ? 'all' : 'no') : escape(formatRatio(t.value)), escape(t.threshold), t.pass ? '<b class="pass">PASS</b>' : '<b class="fail">FAIL</b>', escape(t.detail)]),
        ['target', 'subject', 'measured', 'threshold', 'result', 'detail'],
      ),
    );
    body.push(`<h2>Compile and load (ms, median with min–max whisker; fresh processes)</h2>`);
    body.push(
      table(
        e.modules.map((x) => [
          escape(`${x.name} ${x.version} (${x.tier})`),
          (x.wireBytes / 1e6).toFixed(1),
          (x.artifactBytes / 1e6).toFixed(1),
          formatSummary(x.plain),
          formatSummary(x.optimizing),
          formatSummary(x.load),
          formatSummary(x.loadWithEngine),
          formatSummary(x.floor),
          formatRatio(x.optimizing.median / x.load.median),
          formatRatio(x.load.median / x.floor.median),
        ]),
        ['module', 'wire MB', 'artifact MB', 'plain compile', 'optimizing compile', 'cache load', 'cache load + new Engine', 'floor', 'optimizing / load', 'load / floor'],
      ),
    );
    for (const x of e.modules) {
      body.push(
        barChart(`${x.name} (${x.tier} tier)`, [
          { label: 'plain compile (lazy)', summary: x.plain, color: '#999' },
          { label: 'optimizing compile', summary: x.optimizing, color: '#d62728' },
          { label: 'cache load', summary: x.load, color: '#2ca02c' },
          { label: 'cache load + new Engine', summary: x.loadWithEngine, color: '#98df8a' },
          { label: 'floor (read + V8)', summary: x.floor, color: '#1f77b4' },
        ]),
      );
    }
    body.push('<h2>Workloads with and without the cache (ms)</h2>');
    body.push(
      table(
        e.workloads.map((w) => [escape(w.name), escape(w.mode), formatSummary(w.plainFirst), formatSummary(w.cachedFirst), formatSummary(w.cachedFullFirst), formatSummary(w.plainRest), formatSummary(w.cachedRest), formatSummary(w.cachedFullRest), formatRatio(w.plainRest.median / w.cachedRest.median)]),
        ['workload', 'cache via', 'first result: plain', 'first result: cached', 'first result: cached, full tier', 'rest: plain', 'rest: cached', 'rest: cached, full tier', 'rest speed-up'],
      ),
    );
    for (const w of e.workloads) {
      body.push(
        barChart(
          `${w.name} workload`,
          [
            { label: 'first result, plain', summary: w.plainFirst, color: '#999' },
            { label: 'first result, cached', summary: w.cachedFirst, color: '#2ca02c' },
            { label: 'rest, plain', summary: w.plainRest, color: '#bbb' },
            { label: 'rest, cached', summary: w.cachedRest, color: '#98df8a' },
          ],
          { log: false },
        ),
      );
    }
  }
  if (args.store) {
    body.push('<h2>@cache/store vs cacache and lru-cache</h2>');
    body.push(
      table(
        args.store.rows.map((r) => [escape(r.group), escape(r.subject), escape(r.case), r.median >= 100 ? r.median.toFixed(0) : r.median.toFixed(1), escape(r.unit), String(r.samples.length), escape(r.note ?? '')]),
        ['group', 'subject', 'case', 'median', 'unit', 'samples', 'note'],
      ),
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(args.title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37}.fail{color:#c62828}figure{margin:.5em 0}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}
