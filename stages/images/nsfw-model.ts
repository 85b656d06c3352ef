/**
 * nsfwjs' MobileNetV2 as an ONNX graph, built in memory from the files that ship inside the nsfwjs
 * npm package (a tfjs "layers" model: Keras 2.2 topology JSON + one base64 weight shard, weights
 * uint8-quantised as value = q * scale + min). Same weights, same arithmetic (x / 255, Keras layer
 * semantics), so onnxruntime gives nsfwjs' probabilities without tfjs. Nothing is downloaded and no
 * model file is committed: the package is the source of the weights (nsfwjs is MIT licensed).
 *
 * Only the layer kinds this model uses are translated; any other is an error naming it.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

/** The class order of the model's softmax output (nsfwjs' NSFW_CLASSES). */
export const NSFW_CLASS_ORDER = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'] as const;

interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min: number; scale: number; dtype: string };
}

export interface TfjsLayersModel {
  modelTopology: { model_config: { class_name: string; config: { layers: KerasLayer[] } } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** The model JSON and weight shards of nsfwjs' bundled MobileNetV2 (224x224 input). */
export async function loadNsfwjsMobileNetV2(): Promise<{ model: TfjsLayersModel; shards: Buffer[] }> {
  const { MobileNetV2Model } = await import('nsfwjs/models/mobilenet_v2');
  const model = ((await MobileNetV2Model.modelJson()) as { default: TfjsLayersModel }).default;
  const shards: Buffer[] = [];
  for (const load of MobileNetV2Model.weightBundles) shards.push(Buffer.from(((await load()) as { default: string }).default, 'base64'));
  return { model, shards };
}

/** Dequantise every weight as tfjs does (float32(q * scale + min)); name -> [shape, values]. */
function decodeWeights(model: TfjsLayersModel, shards: Buffer[]): Map<string, { shape: number[]; values: Float32Array }> {
  const data = Buffer.concat(shards);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const group of model.weightsManifest) {
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      const q = w.quantization;
      if (w.dtype !== 'float32') throw new Error(`nsfw model: weight ${w.name} has dtype ${w.dtype}`);
      if (!q) {
        values.set(new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + 4 * n)));
        offset += 4 * n;
      } else if (q.dtype === 'uint8') {
        for (let i = 0; i < n; i++) values[i] = data[offset + i]! * q.scale + q.min;
        offset += n;
      } else {
        throw new Error(`nsfw model: weight ${w.name} quantised as ${q.dtype}`);
      }
      out.set(w.name, { shape: w.shape, values });
    }
  }
  if (offset !== data.length) throw new Error(`nsfw model: weights use ${offset} of ${data.length} bytes`);
  return out;
}

/** [kh, kw, a, b] -> [plane(a, b), kh, kw]: a Keras kernel laid out as ONNX wants it. */
function toChannelsFirst(v: Float32Array, kh: number, kw: number, a: number, b: number, plane: (i: number, j: number) => number): Float32Array {
  const t = new Float32Array(v.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) t[(plane(i, j) * kh + y) * kw + x] = v[((y * kw + x) * a + i) * b + j]!;
  return t;
}

/**
 * ONNX (opset 13) bytes of a Keras functional model of Conv2D / DepthwiseConv2D / BatchNormalization /
 * ReLU / ZeroPadding2D / Add / AveragePooling2D / Flatten / Dense / Dropout layers.
 * Input `rgb`: uint8 [N, H, W, 3] (interleaved RGB rows, as sharp gives them); output `probs` [N, classes].
 */
export function kerasToOnnx(model: TfjsLayersModel, shards: Buffer[]): Uint8Array {
  const weights = decodeWeights(model, shards);
  const cfg = model.modelTopology.model_config;
  if (cfg.class_name !== 'Model') throw new Error(`nsfw model: expected a functional Keras model, got ${cfg.class_name}`);
  const nodes: object[] = [];
  const initializers: object[] = [];
  let inputShape: number[] | null = null;
  let last = '';

  const weight = (name: string): { shape: number[]; values: Float32Array } => {
    const w = weights.get(name);
    if (!w) throw new Error(`nsfw model: missing weight ${name}`);
    return w;
  };
  const init = (name: string, dims: number[], values: Float32Array | BigInt64Array, dataType = FLOAT) => {
    initializers.push({ name, dataType, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    return name;
  };
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => {
    nodes.push({ opType, input, output: [output], name: output, attribute });
    return output;
  };
  const ints = (name: string, v: number[]) => ({ name, type: ATTR_INTS, ints: v });
  const int = (name: string, v: number) => ({ name, type: ATTR_INT, i: v });

  /** Keras kernel [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
  const convKernel = (w: { shape: number[]; values: Float32Array }) => {
    const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
    return { dims: [cout, cin, kh, kw], values: toChannelsFirst(w.values, kh, kw, cin, cout, (i, o) => o * cin + i) };
  };
  /** Keras depthwise kernel [kh, kw, in, mult] -> ONNX grouped [in * mult, 1, kh, kw] (TF channel order c * mult + m). */
  const depthwiseKernel = (w: { shape: number[]; values: Float32Array }) => {
    const [kh, kw, cin, mult] = w.shape as [number, number, number, number];
    return { dims: [cin * mult, 1, kh, kw], values: toChannelsFirst(w.values, kh, kw, cin, mult, (c, m) => c * mult + m) };
  };
  const convAttrs = (c: Record<string, unknown>, kernel: number[]) => {
    const attrs: object[] = [ints('kernel_shape', kernel), ints('strides', c.strides as number[]), ints('dilations', c.dilation_rate as number[])];
    if (c.padding === 'same') attrs.push({ name: 'auto_pad', type: ATTR_STRING, s: new TextEncoder().encode('SAME_UPPER') });
    else if (c.padding === 'valid') attrs.push(ints('pads', [0, 0, 0, 0]));
    else throw new Error(`nsfw model: padding ${String(c.padding)}`);
    return attrs;
  };
  const activation = (out: string, act: unknown, name: string): string => {
    if (act === 'linear' || act === undefined) return out;
    if (act === 'relu') return node('Relu', [out], `${name}/relu`);
    if (act === 'softmax') return node('Softmax', [out], `${name}/softmax`, [int('axis', -1)]);
    throw new Error(`nsfw model: activation ${String(act)}`);
  };

  const outputOf = new Map<string, string>();
  for (const layer of cfg.config.layers) {
    const c = layer.config;
    const inputs = (layer.inbound_nodes[0] ?? []).map(([name]) => {
      const t = outputOf.get(name);
      if (!t) throw new Error(`nsfw model: layer ${layer.name} reads ${name} before it is defined`);
      return t;
    });
    const x = inputs[0]!;
    const name = layer.name;
    let out: string;
    switch (layer.class_name) {
      case 'InputLayer': {
        inputShape = c.batch_input_shape as number[];
        // uint8 NHWC in, float NCHW / 255 on (nsfwjs divides the int tensor by 255).
        const f = node('Cast', ['rgb'], 'rgb_float', [int('to', FLOAT)]);
        const t = node('Transpose', [f], 'rgb_nchw', [ints('perm', [0, 3, 1, 2])]);
        out = node('Div', [t, init('c255', [], new Float32Array([255]))], name);
        break;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as [[number, number], [number, number]];
        const pads = init(`${name}/pads`, [8], BigInt64Array.from([0, 0, top, left, 0, 0, bottom, right].map(BigInt)), INT64);
        out = node('Pad', [x, pads], name);
        break;
      }
      case 'Conv2D': {
        const k = convKernel(weight(`${name}/kernel`));
        const ins = [x, init(`${name}/W`, k.dims, k.values)];
        if (c.use_bias) ins.push(init(`${name}/B`, [k.dims[0]!], weight(`${name}/bias`).values));
        out = activation(node('Conv', ins, name, convAttrs(c, k.dims.slice(2))), c.activation, name);
        break;
      }
      case 'DepthwiseConv2D': {
        const k = depthwiseKernel(weight(`${name}/depthwise_kernel`));
        const ins = [x, init(`${name}/W`, k.dims, k.values)];
        if (c.use_bias) ins.push(init(`${name}/B`, [k.dims[0]!], weight(`${name}/bias`).values));
        out = activation(node('Conv', ins, name, [...convAttrs(c, k.dims.slice(2)), int('group', k.dims[0]!)]), c.activation, name);
        break;
      }
      case 'BatchNormalization': {
        const mean = weight(`${name}/moving_mean`).values;
        const n = mean.length;
        const gamma = c.scale === false ? new Float32Array(n).fill(1) : weight(`${name}/gamma`).values;
        const beta = c.center === false ? new Float32Array(n) : weight(`${name}/beta`).values;
        const ins = [x, init(`${name}/gamma`, [n], gamma), init(`${name}/beta`, [n], beta), init(`${name}/mean`, [n], mean), init(`${name}/var`, [n], weight(`${name}/moving_variance`).values)];
        out = node('BatchNormalization', ins, name, [{ name: 'epsilon', type: ATTR_FLOAT, f: c.epsilon as number }]);
        break;
      }
      case 'ReLU': {
        if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) throw new Error(`nsfw model: leaky/thresholded ReLU ${name}`);
        out =
          c.max_value == null
            ? node('Relu', [x], name)
            : node('Clip', [x, init(`${name}/min`, [], new Float32Array([0])), init(`${name}/max`, [], new Float32Array([c.max_value as number]))], name);
        break;
      }
      case 'Add':
        out = inputs.slice(1).reduce((acc, y, i) => node('Add', [acc, y], i === inputs.length - 2 ? name : `${name}/${i}`), x);
        break;
      case 'AveragePooling2D':
        if (c.padding !== 'valid') throw new Error(`nsfw model: pooling padding ${String(c.padding)}`);
        out = node('AveragePool', [x], name, [ints('kernel_shape', c.pool_size as number[]), ints('strides', c.strides as number[])]);
        break;
      case 'Flatten': {
        // Keras flattens channels-last: back to NHWC first so the element order matches.
        const t = node('Transpose', [x], `${name}/nhwc`, [ints('perm', [0, 2, 3, 1])]);
        out = node('Flatten', [t], name, [int('axis', 1)]);
        break;
      }
      case 'Dense': {
        const k = weight(`${name}/kernel`);
        let y = node('MatMul', [x, init(`${name}/W`, k.shape, k.values)], `${name}/matmul`);
        if (c.use_bias) y = node('Add', [y, init(`${name}/B`, [k.shape[1]!], weight(`${name}/bias`).values)], name);
        out = activation(y, c.activation, name);
        break;
      }
      case 'Dropout': // inference: identity
        out = x;
        break;
      default:
        throw new Error(`nsfw model: layer kind ${layer.class_name} (${name}) is not translated`);
    }
    outputOf.set(name, out);
    last = out;
  }
  if (!inputShape) throw new Error('nsfw model: no input layer');
  const [, h, w, ch] = inputShape as [null, number, number, number];
  const dim = (d: number | string) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d });
  const graph = onnx.GraphProto.create({
    name: 'nsfwjs_mobilenet_v2',
    node: [...nodes, { opType: 'Identity', input: [last], output: ['probs'], name: 'probs' }],
    initializer: initializers,
    input: [{ name: 'rgb', type: { tensorType: { elemType: UINT8, shape: { dim: ['N', h, w, ch].map(dim) } } } }],
    output: [{ name: 'probs', type: { tensorType: { elemType: FLOAT, shape: { dim: ['N', NSFW_CLASS_ORDER.length].map(dim) } } } }],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'interleaved-corpus (from nsfwjs MobileNetV2)',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}
