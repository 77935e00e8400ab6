import onnxProto from 'onnx-proto';
import { RecurError } from '../../errors.js';

const { onnx } = onnxProto;

/** The opset every exported model declares (ReduceSum takes its axes as an input, ReduceMax as an attribute). */
export const ONNX_OPSET = 17;
/** IR version 8 (onnx 1.10+) is what onnx-proto's schema describes, and covers opset 17. */
const IR_VERSION = 8;

/** A dimension: a fixed size or a symbolic name (`batch`, `time`). */
export type Dim = number | string;
export type ElemType = 'float' | 'int64' | 'int32';
type AttrValue = number | number[] | string | string[] | { floats: number[] };

const DTYPE: Record<ElemType, number> = { float: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64, int32: onnx.TensorProto.DataType.INT32 };

/**
 * An ONNX graph under construction: nodes in topological order (each added after its inputs),
 * initializers (the weights), and typed graph inputs and outputs. Names are made unique by
 * `tmp`, so converters can call each other without coordinating names.
 */
export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inits: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name: string, readonly docString = '') {}

  /** A fresh value name starting with `hint`. */
  tmp(hint: string): string {
    let n: string;
    do n = `${hint}_${this.counter++}`; while (this.used.has(n));
    this.used.add(n);
    return n;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `value` a graph output named `name` (an Identity node renames it). */
  output(name: string, value: string, type: ElemType, dims: Dim[]): void {
    this.claim(name);
    this.node('Identity', [value], [name]);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float initializer; `name` defaults to a fresh one. */
  floats(data: ArrayLike<number>, dims: number[], name?: string): string {
    const n = name ?? this.tmp('const');
    if (name) this.claim(name);
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new RecurError(`ONNX export: initializer ${n} has ${data.length} values for shape [${dims.join(', ')}]`);
    const f = Float32Array.from(data);
    this.inits.push(onnx.TensorProto.create({ name: n, dims, dataType: DTYPE.float, rawData: new Uint8Array(f.buffer) }));
    return n;
  }

  /** An int64 initializer (shapes, axes, indices). */
  ints(data: number[], dims: number[] = [data.length]): string {
    const n = this.tmp('ints');
    const b = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.inits.push(onnx.TensorProto.create({ name: n, dims, dataType: DTYPE.int64, rawData: new Uint8Array(b.buffer) }));
    return n;
  }

  /** Adds a node; returns its outputs (fresh names unless given). An empty input name is an omitted optional input. */
  node(op: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttrValue> = {}): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.tmp(op.toLowerCase())) : outputs;
    const attribute = Object.entries(attrs).map(([k, v]) => attribute_(k, v));
    this.nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output: outs, name: this.tmp(`n_${op}`), attribute }));
    return outs;
  }

  /** One-output node. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, 1, attrs)[0]!;
  }

  /** The serialised ModelProto. */
  encode(producer = 'recur'): Uint8Array {
    const graph = onnx.GraphProto.create({
      name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs, docString: this.docString,
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION, producerName: producer, producerVersion: '0.1.0', graph,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new RecurError(`ONNX export: the name '${name}' is used twice`);
    this.used.add(name);
  }
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DTYPE[type], shape: { dim } } } });
}

function attribute_(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    return Number.isInteger(v) ? onnx.AttributeProto.create({ name, type: T.INT, i: v }) : onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
  }
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) });
  }
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v as number[] });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v.floats });
}
