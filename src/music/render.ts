import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { RecurError } from '../errors.js';

/** The General MIDI SoundFont of Debian's fluid-soundfont-gm. */
export const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
export const RENDER_APT = 'apt-get install fluidsynth fluid-soundfont-gm';

/** Whether fluidsynth and the GM SoundFont are installed. */
export function canRender(): boolean {
  return existsSync(SOUNDFONT) && spawnSync('fluidsynth', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Renders a MIDI file to a 44.1 kHz WAV file with Debian's fluidsynth and the FluidR3 GM
 * SoundFont. Returns false (writing nothing) when they are not installed.
 */
export function renderWav(midiPath: string, wavPath: string): boolean {
  if (!canRender()) return false;
  const r = spawnSync('fluidsynth', ['-ni', '-q', '-g', '0.7', '-r', '44100', '-F', wavPath, SOUNDFONT, midiPath], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(wavPath)) throw new RecurError(`fluidsynth could not render ${midiPath}: ${(r.stderr || r.stdout || '').trim().split('\n')[0] ?? ''}`);
  return true;
}
