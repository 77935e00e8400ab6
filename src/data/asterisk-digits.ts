/**
 * `asterisk-digits`: real recordings of spoken digits, numbers and letters from Debian's
 * `asterisk-core-sounds-<lang>-wav` packages (one professional speaker per language, 8 kHz
 * 16-bit telephone prompts), with their transcripts in words. A real-speech test set for
 * models trained on synthetic speech.
 *
 * | subset  | files                         | transcript                    |
 * |---------|-------------------------------|-------------------------------|
 * | digits  | digits/0.wav .. digits/9.wav  | the digit's word ("seven")    |
 * | numbers | digits/10..20, 30..90 (tens)  | the number's word ("forty")   |
 * | letters | letters/a.wav .. letters/z.wav| the letter ("q"); not for ru  |
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CorpusError } from './corpus-error.js';
import { loadEntries, type ManifestEntry, type SpeechLoadOptions, type SpeechSet } from './speech-set.js';

export type AsteriskLanguage = 'en' | 'es' | 'fr' | 'it' | 'ru';
export type AsteriskSubset = 'digits' | 'numbers' | 'letters';

export const ASTERISK_SOUNDS_DIR = '/usr/share/asterisk/sounds';

/** Words for 0-20, then (after "/") the tens 30-90, per language. */
const NUMBER_WORDS: Record<AsteriskLanguage, string> = {
  en: 'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty / thirty forty fifty sixty seventy eighty ninety',
  es: 'cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciséis diecisiete dieciocho diecinueve veinte / treinta cuarenta cincuenta sesenta setenta ochenta noventa',
  fr: 'zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize dix-sept dix-huit dix-neuf vingt / trente quarante cinquante soixante soixante-dix quatre-vingts quatre-vingt-dix',
  it: 'zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici quindici sedici diciassette diciotto diciannove venti / trenta quaranta cinquanta sessanta settanta ottanta novanta',
  ru: 'ноль один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать восемнадцать девятнадцать двадцать / тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто',
};

function numberWords(language: AsteriskLanguage): { units: string[]; tens: string[] } {
  const [units, tens] = NUMBER_WORDS[language].split(' / ').map((part) => part.split(' '));
  return { units: units!, tens: tens! };
}

export const ASTERISK_LANGUAGES = Object.keys(NUMBER_WORDS) as AsteriskLanguage[];

export interface AsteriskOptions<A> extends SpeechLoadOptions<A> {
  /** Default 'en'. */
  language?: AsteriskLanguage;
  /** Default ['digits']. */
  subsets?: AsteriskSubset[];
  /** Where the packages install their sounds. Default /usr/share/asterisk/sounds. */
  soundsDir?: string;
}

export function asteriskAptHint(language: AsteriskLanguage): string {
  return `apt-get install asterisk-core-sounds-${language}-wav`;
}

/** The voice folder of a language (e.g. en_US_f_Allison), or null when the package is not installed. */
export function findAsteriskVoice(language: AsteriskLanguage, soundsDir = ASTERISK_SOUNDS_DIR): string | null {
  if (!existsSync(soundsDir)) return null;
  const names = readdirSync(soundsDir).sort();
  const name = names.find((n) => n === language) ?? names.find((n) => n.startsWith(`${language}_`));
  return name && existsSync(join(soundsDir, name, 'digits')) ? join(soundsDir, name) : null;
}

/** The files and transcripts of the chosen subsets (files the package lacks are left out). */
export function asteriskEntries(opts: Pick<AsteriskOptions<unknown>, 'language' | 'subsets' | 'soundsDir'> = {}): ManifestEntry[] {
  const language = opts.language ?? 'en';
  if (!(language in NUMBER_WORDS)) throw new CorpusError(`asterisk-digits: unknown language '${String(language)}' (expected ${ASTERISK_LANGUAGES.join(', ')})`, String(language));
  const words = numberWords(language);
  const voice = findAsteriskVoice(language, opts.soundsDir);
  if (!voice) {
    throw new CorpusError(`asterisk-digits: no ${language} recordings under ${opts.soundsDir ?? ASTERISK_SOUNDS_DIR}; install them with: ${asteriskAptHint(language)}`, opts.soundsDir ?? ASTERISK_SOUNDS_DIR);
  }
  const wanted: Array<[string, string]> = [];
  for (const subset of opts.subsets ?? ['digits']) {
    if (subset === 'digits') for (let d = 0; d <= 9; d++) wanted.push([`digits/${d}.wav`, words.units[d]!]);
    else if (subset === 'numbers') {
      for (let n = 10; n <= 20; n++) wanted.push([`digits/${n}.wav`, words.units[n]!]);
      for (let t = 3; t <= 9; t++) wanted.push([`digits/${t * 10}.wav`, words.tens[t - 3]!]);
    } else if (subset === 'letters') {
      if (language === 'ru') continue;
      for (let c = 97; c <= 122; c++) wanted.push([`letters/${String.fromCharCode(c)}.wav`, String.fromCharCode(c)]);
    } else {
      throw new CorpusError(`asterisk-digits: unknown subset '${String(subset)}' (expected digits, numbers or letters)`, voice);
    }
  }
  return wanted
    .map(([file, transcript], i) => ({ path: join(voice, file), transcript, line: i + 1 }))
    .filter((e) => existsSync(e.path));
}

/** Loads the recordings (16 kHz by default; they are recorded at 8 kHz and resampled). */
export function loadAsteriskDigits<A = Float32Array>(opts: AsteriskOptions<A> = {}): SpeechSet<A> {
  return loadEntries(asteriskEntries(opts), `asterisk-digits (${opts.language ?? 'en'}: ${(opts.subsets ?? ['digits']).join(', ')})`, opts);
}
