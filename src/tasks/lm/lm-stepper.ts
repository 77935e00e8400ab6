import { kernels } from '../../kernels/index.js';
import { RecurrentStepper, type StepperWeights } from '../../nn/rnn/index.js';
import { PackedMatrix } from '../../nn/rnn/matvec.js';
import type { LanguageModel, LmState } from './model.js';

/**
 * A LanguageModel one token at a time, for generation and token-by-token scoring: its
 * recurrent stack as a RecurrentStepper (layer 0's input projection looked up per token when
 * the table fits) and its decoder as one more batch-1 product, both with `weights` float32 or
 * int8. In eval mode (no dropout), on a snapshot of the model's weights.
 */
export class LmStepper {
  readonly stepper: RecurrentStepper;
  readonly vocabSize: number;
  private readonly decoder: PackedMatrix;
  private readonly bias: Float32Array | null;
  private readonly logits: Float32Array;

  /** Whether the model can run step by step (its recurrent layer is unidirectional). */
  static supports(model: LanguageModel): boolean {
    return !model.rnn.bidirectional;
  }

  constructor(model: LanguageModel, weights: StepperWeights = 'float32') {
    const K = kernels();
    const V = model.config.vocabSize, H = model.config.hiddenSize;
    this.vocabSize = V;
    this.stepper = new RecurrentStepper(model.rnn, { weights, embedding: model.encoder.weight });
    // Tied models decode with the embedding matrix (as LanguageModel.decode does).
    const W = model.config.tieWeights ? model.encoder.weight : model.decoder.weight;
    this.decoder = new PackedMatrix(W.data, V, H, weights);
    const b = model.decoder.bias;
    this.bias = b ? K.alloc(V) : null;
    if (b && this.bias) K.copy(b.data, this.bias);
    this.logits = K.alloc(V);
  }

  /** Feeds token `id`; returns the next-token logits [V] (a view, overwritten by the next call). */
  next(id: number): Float32Array {
    const h = this.stepper.stepToken(id);
    if (this.bias) kernels().copy(this.bias, this.logits);
    this.decoder.apply(h, this.logits, this.bias !== null);
    return this.logits;
  }

  /** Continues from a state the model's forward returned (null: zeros). */
  setState(state: LmState | null): void {
    if (state) this.stepper.setState({ h: state.h, c: state.c ?? null });
    else this.stepper.resetState();
  }
}
