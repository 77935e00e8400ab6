import { KEYS, LOW_KEY, type PianoRoll } from '../../music/pianoroll.js';
import { pitchClassDistance, type MusicStats } from '../../music/stats.js';

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An inline SVG piano roll: time left to right, pitch bottom to top, one rect per note run,
 * primer frames grey and generated frames blue, C rows marked.
 */
export function pianoRollSvg(roll: PianoRoll, primerFrames = 0, cell = 4): string {
  const W = Math.max(1, roll.frames) * cell, H = KEYS * cell;
  const parts: string[] = [];
  for (let k = 0; k < KEYS; k++) {
    if ((LOW_KEY + k) % 12 === 0) parts.push(`<line x1="0" x2="${W}" y1="${H - k * cell}" y2="${H - k * cell}" stroke="#ddd"/>`);
    let start = -1;
    for (let f = 0; f <= roll.frames; f++) {
      const on = f < roll.frames && roll.data[f * KEYS + k] === 1;
      if (on && start < 0) start = f;
      if (!on && start >= 0) {
        const color = start < primerFrames ? '#999' : '#1f77b4';
        parts.push(`<rect x="${start * cell}" y="${H - (k + 1) * cell}" width="${(f - start) * cell}" height="${cell}" fill="${color}"/>`);
        start = -1;
      }
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" style="border:1px solid #ccc;background:#fff">${parts.join('')}</svg>`;
}

/** A table of sample statistics next to the training set's. */
export function statsTable(sample: MusicStats, reference: MusicStats | null): string {
  const fmt = (x: number): string => x.toFixed(3);
  const rows: Array<[string, (s: MusicStats) => string]> = [
    ['notes', (s) => String(s.notes)],
    ['note density (notes/s)', (s) => fmt(s.noteDensity)],
    ['polyphony (sounding notes)', (s) => fmt(s.polyphony)],
    ['pitch range (semitones)', (s) => fmt(s.pitchRange)],
    ['repeated-note ratio', (s) => fmt(s.repeatedNotes)],
  ];
  const body = rows.map(([name, f]) => `<tr><td>${esc(name)}</td><td>${f(sample)}</td><td>${reference ? f(reference) : '-'}</td></tr>`).join('');
  const dist = reference ? `<tr><td>pitch-class histogram distance (total variation)</td><td colspan="2">${fmt(pitchClassDistance(sample, reference))}</td></tr>` : '';
  return `<table border="1" cellpadding="4" style="border-collapse:collapse"><tr><th></th><th>sample</th><th>training set</th></tr>${body}${dist}</table>`;
}
