/** Node-only music: MIDI folders and the built-in Debian corpora, WAV rendering. Everything in `./index.js` is re-exported. */
export * from './index.js';
export { loadMidiFolder, splitByFile, midiSourceDirs, builtinMidiAvailable, BUILTIN_MIDI, type MidiEntry, type MidiFolder, type LoadMidiOptions, type FileSplit } from './corpus.js';
export { renderWav, canRender, SOUNDFONT, RENDER_APT } from './render.js';
