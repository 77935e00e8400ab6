/**
 * recur in your own page: load the WebAssembly backend, fetch a trained run's checkpoint, and
 * stream generated text into the page.
 *
 *     npx esbuild examples/web/main.ts --bundle --format=esm --outfile=examples/web/main.js
 *     cp -r node_modules/recur/dist/kernels/wasm/generated examples/web/   # optional: else the
 *                                                   # copy embedded in the bundle is used
 *     npx recur serve runs/md   # or any static server; see examples/web/index.html
 *
 * In an application, import from 'recur' instead of the repository path used here.
 */
import { backendName, initWasm, lm } from '../../src/index.js';

async function main(): Promise<void> {
  await initWasm(); // WebAssembly SIMD kernels; threads when the page is cross-origin isolated
  const out = document.getElementById('out')!;
  out.textContent = `backend: ${backendName()}\n`;
  const bytes = new Uint8Array(await (await fetch('best.safetensors')).arrayBuffer());
  const { model, tokenizer } = lm.fromCheckpoint(bytes, 'best.safetensors');
  const prompt = 'Call me Ishmael';
  out.textContent += prompt;
  for await (const piece of lm.generateText(model, tokenizer, { prompt, length: 300, temperature: 0.8, topP: 0.95 })) {
    out.textContent += piece;
  }
}

void main();
