import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';

interface Row {
  type: string;
  step: number;
  loss?: number;
  valid_loss?: number;
  [k: string]: unknown;
}

export function readMetrics(dir: string): Row[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) throw new RecurError(`no metrics.jsonl in ${dir} (is it a run directory?)`);
  const rows: Row[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  while (lines.length > 0 && !lines[lines.length - 1]!.trim()) lines.pop();
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line) as Row);
    } catch {
      // A kill during the append leaves the last line cut short; the run resumes past it.
      if (i === lines.length - 1) process.stderr.write(`recur: ${path}:${i + 1}: incomplete last line skipped\n`);
      else throw new RecurError(`${path}:${i + 1}: not a JSON line`);
    }
  });
  return rows;
}

/** Extra HTML a task adds to its runs' reports (translation: an attention heat-map); '' when it has none. */
export type ReportSection = (dir: string) => string | Promise<string>;
const reportSections: ReportSection[] = [];

export function registerReportSection(fn: ReportSection): void {
  reportSections.push(fn);
}

async function extraSections(dir: string): Promise<string> {
  let html = '';
  for (const f of reportSections) html += await f(dir);
  return html;
}

/**
 * A self-contained HTML page (Chart.js inlined, no network) with the train and validation
 * loss curves of a run. Resumed runs append to the same log, so steps may repeat: the last
 * value logged for a step wins.
 */
export function buildReport(dir: string): string {
  const rows = readMetrics(dir);
  const series = (type: string, key: string): Array<{ x: number; y: number }> => {
    const m = new Map<number, number>();
    for (const r of rows) if (r.type === type && typeof r[key] === 'number') m.set(r.step, r[key] as number);
    return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
  };
  const train = series('train', 'loss'), valid = series('eval', 'valid_loss');
  // chart.js does not export its UMD file; find it next to the package's main entry.
  const chartJs = readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  const data = JSON.stringify({ train, valid }).replace(/</g, '\\u003c');
  const title = `recur run: ${resolve(dir)}`.replace(/[<>&]/g, '');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}</style>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script></head>
<body><h1>Loss curves</h1><p>${title}<br>${train.length} train points, ${valid.length} validation points.</p>
<canvas id="loss" width="900" height="450"></canvas>
<script>
const d = ${data};
new Chart(document.getElementById('loss'), {
  type: 'line',
  data: { datasets: [
    { label: 'train loss', data: d.train, borderColor: '#1f77b4', pointRadius: 0, borderWidth: 1.5 },
    { label: 'validation loss', data: d.valid, borderColor: '#d62728', pointRadius: 3, borderWidth: 2 },
  ] },
  options: { parsing: false, animation: false, scales: {
    x: { type: 'linear', title: { display: true, text: 'step' } },
    y: { title: { display: true, text: 'loss (nats per token)' } } } },
});
</script></body></html>
`;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write an HTML page with the loss curves of a run and print its path')
    .argument('<run-dir>')
    .action(async (dir: string) => {
      const html = buildReport(dir).replace('</body></html>', `${await extraSections(dir)}</body></html>`);
      const path = join(dir, 'report.html');
      writeFileAtomic(path, html);
      console.log(resolve(path));
    });
}
