/**
 * `ddpm-wasm export --model FILE --onnx OUT.onnx`: the model's eps_theta(x_t, t) as an ONNX graph (src/io/onnx.ts)
 * for onnxruntime and other tools. The file is written atomically; a bad model file is one FormatError line.
 */
import { decodeCheckpoint } from '../io/checkpoint';
import { UsageError } from '../util/errors';
import { parameterCount } from '../engine/model';
import { ONNX_OPSET, exportOnnx } from '../io/onnx';
import type { Command } from './options';
import { str } from './options';
import { readFileChecked, writeFileAtomic } from './fsutil';

export const exportCommand: Command = {
  summary: 'write a model as ONNX: eps_theta(x, t) with its embeddings, for onnxruntime and other tools',
  usage: 'export --model FILE --onnx OUT.onnx',
  opts: [
    { name: 'model', type: 'string', arg: 'FILE',
      help: 'model.safetensors or checkpoint.safetensors written by train (its EMA weights are exported)' },
    { name: 'onnx', type: 'string', arg: 'OUT.onnx',
      help: 'the ONNX file to write (inputs x float32 [N, dim] standardised, t int64 [N] in 1..T; output eps)' },
  ],
  async run(v) {
    const path = str(v, 'model');
    if (!path) throw new UsageError('export needs --model FILE');
    const out = str(v, 'onnx');
    if (!out) throw new UsageError('export needs --onnx OUT.onnx');
    const ck = decodeCheckpoint(readFileChecked(path, 'model'), path);
    const bytes = exportOnnx(ck);
    writeFileAtomic(out, bytes);
    const c = ck.config.model;
    if (v.json) {
      process.stdout.write(JSON.stringify({
        out, bytes: bytes.length, opset: ONNX_OPSET, parameters: parameterCount(c), dim: c.dim, T: ck.config.T, step: ck.step,
      }) + '\n');
    } else {
      process.stdout.write(`wrote ${out} (${bytes.length} bytes, opset ${ONNX_OPSET}): ` +
        `eps = eps_theta(x float32 [N, ${c.dim}], t int64 [N] in 1..${ck.config.T}), ${parameterCount(c)} parameters at step ${ck.step}\n`);
    }
    return 0;
  },
};
