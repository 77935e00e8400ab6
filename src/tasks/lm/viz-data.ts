import type { LstmTrace } from './inspect.js';

/**
 * The activation visualiser's data in a compact, JSON-safe form (one HTML file can carry it):
 * tanh(c) as int8 (x127) and gates as uint8 (x255), base64, per layer, row-major [T, H].
 */
export interface VizData {
  title: string;
  /** The text of each position (one character for a char LM). */
  chars: string[];
  T: number;
  L: number;
  H: number;
  cells: string[];
  input: string[];
  forget: string[];
  output: string[];
  /** Top next tokens after each position: [text, probability] pairs. */
  top: Array<Array<[string, number]>>;
}

function b64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function unb64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const int8 = (a: Float32Array): string => b64(new Uint8Array(Int8Array.from(a, (v) => Math.round(v * 127)).buffer));
const uint8 = (a: Float32Array): string => b64(Uint8Array.from(a, (v) => Math.round(v * 255)));

export function encodeViz(trace: LstmTrace, chars: string[], token: (id: number) => string, title: string): VizData {
  return {
    title, chars, T: trace.T, L: trace.L, H: trace.H,
    cells: trace.cells.map(int8), input: trace.input.map(uint8), forget: trace.forget.map(uint8), output: trace.output.map(uint8),
    top: trace.top.map((row) => row.map((e) => [token(e.id), Math.round(e.prob * 1000) / 1000] as [string, number])),
  };
}
