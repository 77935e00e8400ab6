import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/trainer.js';

/**
 * Renders training events as a progress bar (cli-progress) with loss, perplexity, throughput
 * and ETA; evaluations and checkpoints print as lines above it. Off a TTY (CI, pipes) it
 * prints a plain line every `plainEvery` steps instead.
 */
export function progressReporter(opts: { unit: string; minutes?: number; plainEvery?: number }): (e: TrainEvent) => void {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let total = 0;
  let bySeconds = false;
  const plainEvery = opts.plainEvery ?? 50;
  const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '-');
  const rate = (x: number): string => String(Number(x.toPrecision(3)));
  return (e) => {
    switch (e.type) {
      case 'start': {
        // With only a time budget the bar counts seconds.
        bySeconds = e.totalSteps === null;
        total = e.totalSteps ?? Math.round((opts.minutes ?? 0) * 60);
        if (tty) {
          bar = new cliProgress.SingleBar({
            format: `{bar} {percentage}% | step {step} | loss {loss} | ppl {ppl} | {speed} ${opts.unit}/s | ETA {eta_formatted}`,
            stream: process.stderr, hideCursor: true, etaBuffer: 50,
          }, cliProgress.Presets.shades_classic);
          bar.start(total, 0, { step: e.step, loss: '-', ppl: '-', speed: '-' });
        }
        if (e.resumed) log(`resumed at step ${e.step} (epoch ${e.epoch + 1})`);
        break;
      }
      case 'step': {
        const value = bySeconds ? Math.round(e.elapsedSec) : e.step;
        const payload = { step: e.step, loss: fmt(e.loss), ppl: fmt(Math.exp(e.loss)), speed: Math.round(e.itemsPerSec) };
        if (bar) bar.update(Math.min(value, total), payload);
        else if (e.step % plainEvery === 0) {
          process.stderr.write(`step ${e.step} | epoch ${e.epoch + 1} | loss ${payload.loss} | ppl ${payload.ppl} | ${payload.speed} ${opts.unit}/s | ${e.elapsedSec.toFixed(0)} s\n`);
        }
        break;
      }
      case 'eval': {
        const m = Object.entries(e.result.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`).join(' | ');
        log(`eval @ step ${e.step}: valid loss ${e.result.loss.toFixed(4)} | ${m}${e.best ? ' (best)' : ''}`);
        break;
      }
      case 'lr':
        log(`step ${e.step}: learning rate ${rate(e.previous)} -> ${rate(e.lr)}`);
        break;
      case 'note':
        log(e.message);
        break;
      case 'checkpoint':
        break;
      case 'end':
        bar?.stop();
        log(`stopped at step ${e.step} (${e.reason}); best valid loss ${fmt(e.bestLoss)}`);
        break;
    }
  };

  function log(line: string): void {
    if (bar) {
      // cli-progress redraws below; clear the bar line first so the message stays readable.
      process.stderr.write('\r\x1b[K' + line + '\n');
    } else process.stderr.write(line + '\n');
  }
}
