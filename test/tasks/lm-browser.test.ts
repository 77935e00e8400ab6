import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { io, lm, tensor } from '../../src/index.js';

describe('lm.fromCheckpoint (a run from bytes, no file system)', () => {
  const bytes = readFileSync('web/demo/best.safetensors');

  it('rebuilds the model and tokenizer and generates', async () => {
    const { model, tokenizer, config } = lm.fromCheckpoint(bytes);
    assert.equal(config.task, 'lm');
    let text = '';
    for await (const piece of lm.generateText(model, tokenizer, { prompt: 'The ', length: 30, temperature: 0 })) text += piece;
    assert.equal(text.length, 30);
  });

  it('names what is wrong with other files', () => {
    const plain = io.saveSafetensors({ w: tensor([1, 2]) });
    assert.throws(() => lm.fromCheckpoint(plain, 'plain.safetensors'), /plain\.safetensors: not a recur checkpoint \(format 'missing'/);
    const tag = io.saveSafetensors({ 'model.w': tensor([1]) }, { format: io.CHECKPOINT_FORMAT, config: JSON.stringify({ task: 'tag' }) });
    assert.throws(() => lm.fromCheckpoint(tag, 'tag.safetensors'), /tag\.safetensors is a 'tag' run, not a language model/);
    const broken = io.saveSafetensors({ 'model.w': tensor([1]) }, { format: io.CHECKPOINT_FORMAT, config: '{nope' });
    assert.throws(() => lm.fromCheckpoint(broken, 'b'), /b: its config is not valid JSON/);
  });
});
