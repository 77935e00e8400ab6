import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { LmTask } from '../../src/tasks/lm/task.js';
import { generateText, nextTokens } from '../../src/tasks/lm/generate.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { Adam } from '../../src/optim/index.js';
import { train } from '../../src/train/trainer.js';
import { manualSeed } from '../../src/tensor/rng.js';

const text = 'the quick brown fox jumps over the lazy dog. '.repeat(8);

test('a small LSTM language model overfits a short text to near-zero loss and then recites it', async () => {
  manualSeed(1);
  const tok = CharTokenizer.fromCorpus(text);
  const ids = tok.encode(text);
  const model = new LanguageModel({ vocabSize: tok.vocabSize, embedSize: 16, hiddenSize: 64, numLayers: 1, cell: 'lstm', dropout: 0, tieWeights: false });
  const task = new LmTask(model, { train: ids, valid: ids, test: ids }, { batchSize: 4, bptt: 16, evalBatchSize: 4 });
  const opt = new Adam(model.parameters(), { lr: 0.02 });
  const r = await train(task, { optimizer: opt, maxSteps: 250, evalEvery: 250, clipNorm: 5 });
  assert.ok(r.lastEval!.loss < 0.1, `loss after overfitting: ${r.lastEval!.loss}`);
  let out = '';
  for await (const piece of generateText(model, tok, { prompt: 'the quick', length: 30, temperature: 0 })) out += piece;
  assert.equal(out, ' brown fox jumps over the lazy');
  assert.equal(nextTokens(model, tok, 'the lazy do', 1)[0]!.token, 'g');
});

test('weight tying shares one tensor under both PyTorch names', () => {
  const m = new LanguageModel({ vocabSize: 11, embedSize: 8, hiddenSize: 8, numLayers: 2, cell: 'gru', dropout: 0.1, tieWeights: true });
  const sd = m.stateDict();
  assert.equal(sd.get('encoder.weight'), sd.get('decoder.weight'));
  assert.equal(m.parameters().filter((p) => p === sd.get('encoder.weight')).length, 1);
  assert.ok(sd.has('rnn.weight_ih_l1') && sd.has('decoder.bias'));
  assert.throws(() => new LanguageModel({ vocabSize: 11, embedSize: 8, hiddenSize: 16, numLayers: 1, cell: 'rnn', dropout: 0, tieWeights: true }), /tied weights need embedSize == hiddenSize/);
});
