import { describe, test } from 'node:test';
import { crossEntropy } from '../../src/nn/losses/index.js';
import type { StateDict } from '../../src/nn/module.js';
import type { Seq2SeqConfig } from '../../src/tasks/translate/config.js';
import { Seq2Seq } from '../../src/tasks/translate/model.js';
import { assertClose } from '../helpers/assert.js';
import { assertGradientsMatch, loadFixture } from '../helpers/fixtures.js';

// Fixtures from scripts/fixtures/gen_translate.py: PyTorch 1.13 running the twin in
// scripts/eval/torch_translate.py with random weights. Same weights in recur must give the
// same logits, loss and gradients. The two one-layer GRU Luong cases run the fused teacher-forced
// decoder (src/tasks/translate/fused-decoder.ts), the other two the per-step graph.
const CASES = ['luong_general_gru', 'bahdanau_lstm_2layer', 'luong_dot_uni_zero', 'none_lstm'];

describe('Seq2Seq equals its PyTorch twin', () => {
  for (const name of CASES) {
    test(name, () => {
      const f = loadFixture(`tasks/translate/${name}`);
      const cfg = f.config.model as Seq2SeqConfig;
      const model = new Seq2Seq(cfg);
      model.eval();
      const sd: StateDict = new Map();
      for (const [k, t] of f.tensors) if (k.startsWith('w.')) sd.set(k.slice(2), t);
      model.loadStateDict(sd);
      const ids = f.ints('ids'), lengths = f.ints('lengths'), tgtIn = f.ints('tgt_in'), tgtOut = f.ints('tgt_out');
      const [B, S] = f.get('ids').shape as [number, number];
      const T = f.get('tgt_in').shape[0]!;
      const logits = model.forward({ ids, B, S, lengths, tgtIn, tgtOut, T });
      assertClose(logits, f.get('logits'), { rtol: 1e-5, atol: 1e-6, what: `${name} logits` });
      const loss = crossEntropy(logits, tgtOut, { ignoreIndex: cfg.tgtPadId });
      assertClose(loss.item(), f.get('loss').item(), { rtol: 1e-5, what: `${name} loss` });
      loss.backward();
      assertGradientsMatch(model, f, name);
    });
  }
});
