/**
 * The six node classes the simulator knows: the four built-ins the fixture workflows use and the two
 * test nodes (PeerSteps, PeerFail) the real traces were recorded with. Definitions follow ComfyUI's
 * `INPUT_TYPES`/`RETURN_TYPES` so that `/object_info` and validation behave like the real server.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodePng, type ImageBatch, mapBatch, previewFor, sample, solidBatch } from './images';
import { pyDumps } from './pyjson';

export type InputSpec = [type: string | string[], extra?: Record<string, unknown>];

export interface NodeContext {
  readonly uniqueId: string;
  readonly prompt: Record<string, unknown>;
  readonly extraData: Record<string, unknown>;
  readonly outputDir: string;
  readonly tempDir: string;
  /** Per node-id object state that survives between prompts (ComfyUI's `caches.objects`). */
  readonly objectState: Record<string, unknown>;
  /** Sleep `ms` (already time-scaled by the caller) in short slices; throws when interrupted. */
  sleep(ms: number): Promise<void>;
  /** `ProgressBar.update_absolute(value, total, ("JPEG", image, max_size))`. Throws when interrupted. */
  progress(value: number, total: number, jpeg?: Buffer): void;
}

export interface NodeResult {
  result: unknown[];
  ui?: Record<string, unknown>;
}

export interface NodeDef {
  readonly displayName: string;
  readonly category: string;
  readonly description: string;
  readonly pythonModule: string;
  readonly input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, string>;
  };
  readonly returnTypes: string[];
  readonly outputNode: boolean;
  readonly outputTooltips?: string[];
  /** Frames of a Python traceback for exceptions raised inside `run` (paths as recorded). */
  readonly tracebackTail?: string[];
  run(ctx: NodeContext, inputs: Record<string, unknown>): Promise<NodeResult>;
}

/** An exception raised inside a node, carrying the Python type name the server reports. */
export class NodeException extends Error {
  constructor(
    message: string,
    readonly pythonType: string,
  ) {
    super(message);
  }
}

const MAX_RESOLUTION = 16384;

/** `folder_paths.get_save_image_path`: next free counter for `prefix` in the target folder. */
function saveImagePath(prefix: string, outputDir: string) {
  const normalized = path.normalize(prefix);
  const subfolder = path.dirname(normalized) === '.' ? '' : path.dirname(normalized);
  const filename = path.basename(normalized);
  const full = path.join(outputDir, subfolder);
  const resolved = path.resolve(full);
  if (resolved !== outputDir && !resolved.startsWith(outputDir + path.sep)) {
    throw new NodeException(
      `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${resolved}\n         output_dir: ${outputDir}\n         commonpath: ${path.parse(outputDir).root}`,
      'Exception',
    );
  }
  let counter = 1;
  try {
    let best = 0;
    for (const f of readdirSync(full)) {
      const prefixPart = f.slice(0, filename.length + 1);
      if (prefixPart.slice(0, -1) !== filename || !prefixPart.endsWith('_')) continue;
      const digits = f.slice(filename.length + 1).split('_')[0] ?? '';
      const n = /^\d+$/.test(digits) ? Number.parseInt(digits, 10) : 0;
      best = Math.max(best, n);
      counter = best + 1;
    }
  } catch {
    mkdirSync(full, { recursive: true });
  }
  return { full, filename, counter, subfolder };
}

function saveImages(
  ctx: NodeContext,
  images: ImageBatch,
  prefix: string,
  dir: string,
  type: 'output' | 'temp',
): NodeResult {
  const { full, filename, counter, subfolder } = saveImagePath(prefix, dir);
  const results: Record<string, unknown>[] = [];
  const text: Record<string, string> = { prompt: pyDumps(ctx.prompt) };
  const pnginfo = ctx.extraData.extra_pnginfo;
  if (pnginfo && typeof pnginfo === 'object') {
    for (const [k, v] of Object.entries(pnginfo as Record<string, unknown>)) text[k] = pyDumps(v);
  }
  images.images.forEach((_, batchNumber) => {
    const base = filename.replaceAll('%batch_num%', String(batchNumber));
    const file = `${base}_${String(counter + batchNumber).padStart(5, '0')}_.png`;
    writeFileSync(path.join(full, file), encodePng(images, batchNumber, text));
    results.push({ filename: file, subfolder, type });
  });
  return { result: [], ui: { images: results } };
}

const imageTooltip = { tooltip: 'The images to save.' };

export const NODES: Record<string, NodeDef> = {
  EmptyImage: {
    displayName: 'EmptyImage',
    category: 'image',
    description: '',
    pythonModule: 'nodes',
    input: {
      required: {
        width: ['INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
        height: ['INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
        color: ['INT', { default: 0, min: 0, max: 0xffffff, step: 1, display: 'color' }],
      },
    },
    returnTypes: ['IMAGE'],
    outputNode: false,
    async run(_ctx, i) {
      const color = i.color as number;
      const rgb: [number, number, number] = [
        ((color >> 16) & 0xff) / 255,
        ((color >> 8) & 0xff) / 255,
        (color & 0xff) / 255,
      ];
      return { result: [solidBatch(i.width as number, i.height as number, i.batch_size as number, rgb)] };
    },
  },
  ImageInvert: {
    displayName: 'Invert Image',
    category: 'image',
    description: '',
    pythonModule: 'nodes',
    input: { required: { image: ['IMAGE'] } },
    returnTypes: ['IMAGE'],
    outputNode: false,
    async run(_ctx, i) {
      return { result: [mapBatch(i.image as ImageBatch, (v) => 1 - v)] };
    },
  },
  SaveImage: {
    displayName: 'Save Image',
    category: 'image',
    description: 'Saves the input images to your ComfyUI output directory.',
    pythonModule: 'nodes',
    input: {
      required: {
        images: ['IMAGE', imageTooltip],
        filename_prefix: [
          'STRING',
          {
            default: 'ComfyUI',
            tooltip:
              'The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.',
          },
        ],
      },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
    },
    returnTypes: [],
    outputNode: true,
    async run(ctx, i) {
      return saveImages(ctx, i.images as ImageBatch, i.filename_prefix as string, ctx.outputDir, 'output');
    },
  },
  PreviewImage: {
    displayName: 'Preview Image',
    category: 'image',
    description: 'Saves the input images to your ComfyUI output directory.',
    pythonModule: 'nodes',
    input: {
      required: { images: ['IMAGE', imageTooltip] },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
    },
    returnTypes: [],
    outputNode: true,
    async run(ctx, i) {
      // PreviewImage picks a random 5-letter suffix once per node object, as the real class does.
      if (typeof ctx.objectState.prefixAppend !== 'string') {
        const letters = 'abcdefghijklmnopqrstupvxyz';
        let s = '_temp_';
        for (let k = 0; k < 5; k++) s += letters[Math.floor(Math.random() * letters.length)];
        ctx.objectState.prefixAppend = s;
      }
      const prefix = `ComfyUI${ctx.objectState.prefixAppend as string}`;
      return saveImages(ctx, i.images as ImageBatch, prefix, ctx.tempDir, 'temp');
    },
  },
  PeerSteps: {
    displayName: 'PeerSteps',
    category: 'testing/peer',
    description: 'Sleeps delay_ms per step and reports progress with a JPEG preview every step.',
    pythonModule: 'custom_nodes.peer_nodes',
    input: {
      required: {
        steps: ['INT', { default: 8, min: 1, max: 10000 }],
        delay_ms: ['INT', { default: 250, min: 0, max: 600000 }],
        width: ['INT', { default: 64, min: 1, max: 4096 }],
        height: ['INT', { default: 64, min: 1, max: 4096 }],
      },
      optional: {
        image: ['IMAGE'],
        seed: ['INT', { default: 0, min: 0, max: 0xffffffffffff }],
        preview_size: ['INT', { default: 64, min: 8, max: 1024 }],
      },
    },
    returnTypes: ['IMAGE'],
    outputNode: false,
    async run(ctx, i) {
      const steps = i.steps as number;
      for (let step = 1; step <= steps; step++) {
        await ctx.sleep(i.delay_ms as number);
        ctx.progress(step, steps, previewFor(step, steps));
      }
      // A gradient (x -> red, y -> green, seed -> blue) blended half-and-half with the input image.
      const w = i.width as number;
      const h = i.height as number;
      const input = i.image as ImageBatch | undefined;
      const seed = typeof i.seed === 'number' ? i.seed : 0;
      const blue = 1 - ((seed * 0.37) % 1);
      const batch = input ? input.images.length : 1;
      const images: Float32Array[] = [];
      for (let b = 0; b < batch; b++) {
        const px = new Float32Array(w * h * 3);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const src = input ? sample(input, b, x, y, w, h) : ([0, 0, 0] as const);
            const o = (y * w + x) * 3;
            px[o] = 0.5 * src[0] + 0.5 * (w > 1 ? x / (w - 1) : 0);
            px[o + 1] = 0.5 * src[1] + 0.5 * (h > 1 ? y / (h - 1) : 0);
            px[o + 2] = 0.5 * src[2] + 0.5 * blue;
          }
        }
        images.push(px);
      }
      return { result: [{ width: w, height: h, images } satisfies ImageBatch] };
    },
  },
  PeerFail: {
    displayName: 'PeerFail',
    category: 'testing/peer',
    description: 'Raises RuntimeError(message).',
    pythonModule: 'custom_nodes.peer_nodes',
    input: {
      required: { message: ['STRING', { default: 'PeerFail: intentional failure' }] },
      optional: { image: ['IMAGE'] },
    },
    returnTypes: ['IMAGE'],
    outputNode: false,
    tracebackTail: [
      '  File "/opt/ComfyUI/custom_nodes/peer_nodes/__init__.py", line 106, in run\n    raise RuntimeError(message)\n',
    ],
    async run(_ctx, i) {
      throw new NodeException(i.message as string, 'RuntimeError');
    },
  },
};

/** `server.node_info(class)`: the `/object_info` entry. */
export function nodeInfo(name: string): Record<string, unknown> {
  const def = NODES[name]!;
  const input: Record<string, unknown> = {};
  const inputOrder: Record<string, string[]> = {};
  for (const cat of ['required', 'optional', 'hidden'] as const) {
    const group = def.input[cat];
    if (!group) continue;
    input[cat] = cat === 'hidden' ? group : Object.fromEntries(Object.entries(group));
    inputOrder[cat] = Object.keys(group);
  }
  return {
    input,
    input_order: inputOrder,
    output: def.returnTypes,
    output_is_list: def.returnTypes.map(() => false),
    output_name: def.returnTypes,
    name,
    display_name: def.displayName,
    description: def.description,
    python_module: def.pythonModule,
    category: def.category,
    output_node: def.outputNode,
    ...(def.outputTooltips ? { output_tooltips: def.outputTooltips } : {}),
  };
}
