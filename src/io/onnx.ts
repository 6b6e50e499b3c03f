/**
 * ONNX export of the noise predictor eps_theta(x_t, t), embeddings included, so the graph takes raw inputs:
 *
 *   inputs   x  float32 [N, dim]   x_t in the model's standardised units (data units: (x - mean) / std, the
 *                                  model's "standardization" metadata property)
 *            t  int64   [N]        timestep 1..T (the graph feeds t - 1 to the time embedding, as training did)
 *   output   eps float32 [N, dim]  predicted noise
 *
 *   emb(v) = [Sin(v f) | Cos(v f)] with f the embedding frequencies; x part on x * inputScale per coordinate,
 *   then Gemm (transB: the [out, in] weights as stored), the activation (GELU's tanh form written as
 *   x * Sigmoid(2u), as the kernels compute it), residual Adds, and the output Gemm. Weights are the file's
 *   EMA weights (what `sample` uses).
 *
 * Opset 13 / IR version 7: every op used is plain ONNX and old enough for any current runtime. The
 * protobuf messages are the subset of onnx.proto (field numbers from the ONNX repository) that the export
 * writes, encoded with protobufjs. Browser-safe; the file I/O lives in src/cli/export.ts.
 */
import protobuf from 'protobufjs/light.js';
import type { LoadedCheckpoint } from './checkpoint';
import { embeddingFrequencies, inDim, paramSpecs } from '../engine/model';
import { VERSION } from '../util/version';

export const ONNX_OPSET = 13;
const ONNX_IR_VERSION = 7;

/** TensorProto.DataType values used here. */
const FLOAT = 1, INT64 = 7;
/** AttributeProto.AttributeType values used here. */
const ATTR_INT = 2;

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: {
          oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

let modelType: protobuf.Type | null = null;
function ModelProto(): protobuf.Type {
  return (modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto'));
}

type Dim = number | string;
interface NodeSpec {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute?: { name: string; i: number; type: number }[];
}

/** Graph under construction: initializers, nodes in topological order, fresh names. */
class GraphBuilder {
  nodes: NodeSpec[] = [];
  inits: { name: string; dims: number[]; dataType: number; rawData: Uint8Array }[] = [];
  private n = 0;

  const(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.inits.push({
      name, dims, dataType: data instanceof Float32Array ? FLOAT : INT64,
      // raw_data is little-endian (the ONNX spec); so is every host this runs on (see safetensors.ts).
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return name;
  }

  op(opType: string, input: string[], attrs: Record<string, number> = {}, out?: string): string {
    const output = out ?? `${opType.toLowerCase()}_${this.n}`;
    const attribute = Object.entries(attrs).map(([name, i]) => ({ name, i, type: ATTR_INT }));
    this.nodes.push({ input, output: [output], name: `${opType}_${this.n++}`, opType, ...(attribute.length ? { attribute } : {}) });
    return output;
  }

  /** [Sin(a) | Cos(a)] along `axis`: the sinusoidal embedding of the angles a. */
  sinCos(a: string, axis: number): string {
    return this.op('Concat', [this.op('Sin', [a]), this.op('Cos', [a])], { axis });
  }
}

function activation(g: GraphBuilder, name: string, x: string): string {
  switch (name) {
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'gelu': {
      // gelu(x) = 0.5 x (1 + tanh(u)) = x * sigmoid(2u), 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) (assembly/activation.ts)
      const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const inner = g.op('Add', [x, g.op('Mul', ['gelu_a', x3])]);
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', ['gelu_c2', inner])])]);
    }
    default:
      throw new Error(`no ONNX form for activation ${name}`);
  }
}

const tensorType = (elemType: number, dims: Dim[]) => ({
  tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
});

/** The ONNX model (serialized ModelProto bytes) of a decoded model file or checkpoint's EMA weights. */
export function exportOnnx(ck: LoadedCheckpoint): Uint8Array {
  const c = ck.config.model, d = c.dim, E = c.embedSize, half = E / 2;
  const g = new GraphBuilder();
  const freqs = g.const('freqs', [half], embeddingFrequencies(E));
  g.const('one', [1], new Float32Array([1]));
  if (c.activation === 'gelu') {
    g.const('gelu_a', [1], new Float32Array([0.044715]));
    g.const('gelu_c2', [1], new Float32Array([1.5957691216057308]));
  }

  // Time embedding of t - 1 (training indexes the schedule tables from 0).
  const tIndex = g.op('Sub', [g.op('Cast', ['t'], { to: FLOAT }), 'one']);
  const tAngles = g.op('Mul', [g.op('Unsqueeze', [tIndex, g.const('axis_1', [1], new BigInt64Array([1n]))]), freqs]); // [N, half]
  const tEmb = g.sinCos(tAngles, 1); // [N, E]

  let xPart = 'x';
  if (c.inputEmbedding) {
    const scaled = g.op('Mul', ['x', g.const('input_scale', [1], new Float32Array([c.inputScale]))]); // [N, d]
    const angles = g.op('Mul', [g.op('Unsqueeze', [scaled, g.const('axis_2', [1], new BigInt64Array([2n]))]), freqs]); // [N, d, half]
    xPart = g.op('Reshape', [g.sinCos(angles, 2), g.const('x_emb_shape', [2], new BigInt64Array([-1n, BigInt(d * E)]))]); // [N, d*E]
  }
  const inp = g.op('Concat', [xPart, tEmb], { axis: 1 }); // [N, inDim]

  for (const s of paramSpecs(c)) {
    const t = ck.tensors[s.name];
    g.const(s.name, s.shape, t.data as Float32Array);
  }
  const linear = (x: string, layer: string, out?: string) => g.op('Gemm', [x, `${layer}.weight`, `${layer}.bias`], { transB: 1 }, out);
  let h = activation(g, c.activation, linear(inp, 'inp'));
  for (let k = 0; k < c.depth; k++) h = g.op('Add', [h, activation(g, c.activation, linear(h, `blocks.${k}`))]);
  linear(h, 'out', 'eps');

  const meta: Record<string, string> = {
    format: 'ddpm-wasm',
    inputs: 'x: float32 [N, dim] x_t in standardised units ((x - mean) / std, see "standardization"); t: int64 [N] timestep in 1..T',
    output: 'eps: float32 [N, dim], the predicted noise eps_theta(x_t, t)',
    step: String(ck.step),
    config: JSON.stringify(ck.config),
    standardization: JSON.stringify(ck.standardization),
    betas: JSON.stringify(Array.from(ck.betas)),
    in_dim: String(inDim(c)),
  };
  const message = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'ddpm-wasm',
    producerVersion: VERSION,
    modelVersion: 1,
    docString: 'eps_theta(x_t, t) of a denoising diffusion model (Ho et al. 2020) trained by ddpm-wasm',
    graph: {
      name: 'eps_theta',
      node: g.nodes,
      initializer: g.inits,
      input: [
        { name: 'x', type: tensorType(FLOAT, ['N', d]) },
        { name: 't', type: tensorType(INT64, ['N']) },
      ],
      output: [{ name: 'eps', type: tensorType(FLOAT, ['N', d]) }],
    },
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  };
  const T = ModelProto();
  const err = T.verify(message);
  if (err) throw new Error(`ONNX message: ${err}`);
  return T.encode(T.fromObject(message)).finish();
}
