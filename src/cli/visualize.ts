import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { noGrad } from '../autograd/grad-mode.js';
import { RecurError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { traceLstm } from '../tasks/lm/inspect.js';
import { loadLmRun } from '../tasks/lm/run.js';
import { encodeViz } from '../tasks/lm/viz-data.js';
import { tokenizerFromJSON } from '../text/from-json.js';
import { intArg } from './args.js';

/** The bundled view (scripts/build-web.mjs writes viz.js beside the web app). */
function vizScript(): string {
  const candidates = [new URL('../web-app/viz.js', import.meta.url), new URL('../../dist/web-app/viz.js', import.meta.url)].map((u) => fileURLToPath(u));
  const hit = candidates.find((p) => existsSync(p));
  if (!hit) throw new RecurError(`the visualiser's script is not built (looked for ${candidates.join(', ')}): run \`npm run build\``);
  return readFileSync(hit, 'utf8');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function registerVisualize(program: Command): void {
  program
    .command('visualize')
    .description('write an LSTM language model\'s cell activations, gate saturation and predictions on a text as one HTML file')
    .argument('<run-dir>')
    .requiredOption('--text <file>', 'the text to run the model on')
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--max-chars <n>', 'read at most this many characters of the text', intArg('max-chars', 1), 3000)
    .action((dir: string, o: { text: string; out: string; maxChars: number }) => {
      if (!existsSync(o.text)) throw new RecurError(`--text ${o.text}: no such file`);
      const text = readFileSync(o.text, 'utf8').slice(0, o.maxChars);
      const { model, config } = loadLmRun(dir);
      const tok = tokenizerFromJSON(config.tokenizer);
      const ids = tok.encode(text);
      if (ids.length === 0) throw new RecurError(`--text ${o.text}: nothing to visualise (no tokens)`);
      const trace = noGrad(() => traceLstm(model, ids, 5));
      const chars = Array.from(ids, (id) => tok.decode([id]));
      const data = encodeViz(trace, chars, (id) => tok.decode([id]), `${dir} on ${o.text}`);
      const json = JSON.stringify(data).replace(/</g, '\\u003c');
      const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title>` +
        '<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:1rem auto;padding:0 1rem;color:#1d2330}</style></head>' +
        `<body><div id="viz"></div><script type="application/json" id="viz-data">${json}</script><script>${vizScript()}</script></body></html>\n`;
      writeFileAtomic(o.out, new TextEncoder().encode(html));
      console.log(`wrote ${o.out}: ${trace.T} positions, ${trace.L} layer${trace.L > 1 ? 's' : ''} x ${trace.H} cells`);
    });
}
