/**
 * Optional onnxruntime-node backend: float64 GEMMs (MLAS) for the Gram product and the
 * dense → band reduction. Loaded lazily; when the package or its native binary cannot be
 * loaded the spectrum code falls back to the pure TypeScript path.
 */
import { createRequire } from 'node:module';
import { encodeModel, type GraphSpec } from './onnx-model.js';
import { keepOrtTelemetryOff } from './ort-telemetry.js';

/**
 * Largest output of one in-place run (runInto): callers split an update by rows to stay
 * below it. The binding copies every output into a new ArrayBuffer, garbage at once; smaller
 * copies are fewer bytes waiting for a collection, and malloc reuses them more readily. On
 * a 28 MB safetensors of 14 low-rank layers (512², 2048×384, 1024², every one on the
 * two-stage accurate route), peak RSS was 293–310 MiB with whole-matrix updates (5 runs) and
 * 273–298 MiB in 2 MB pieces (9 runs), against a budget of 310 (3 × 8.4 MB + 300 MB).
 */
export const IN_PLACE_CHUNK_BYTES = 2 * 2 ** 20;

/** Rows per in-place run for rows of `width` float64 values (at least one). */
export function inPlaceRows(width: number): number {
  return Math.max(1, Math.floor(IN_PLACE_CHUNK_BYTES / (8 * width)));
}

// Only the parts of the onnxruntime-node API used here, so its types are not needed at build time.
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: string, data: Float64Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
}

/** A loaded runtime with a cache of sessions, one per graph, all with the same thread count. */
export class OrtBackend {
  private readonly sessions = new Map<string, Promise<OrtSession>>();

  private constructor(
    private readonly ort: OrtModule,
    /** Intra-op threads for every session (MLAS GEMM parallelism). */
    readonly threads: number,
  ) {}

  /** Loads onnxruntime-node, or returns the reason it is unavailable. */
  static load(threads: number): OrtBackend | { unavailable: string } {
    if (process.env.RMT_ANALYZE_NO_ORT === '1') return { unavailable: 'disabled by RMT_ANALYZE_NO_ORT=1' };
    try {
      const ort = requireOrt();
      if (typeof ort?.InferenceSession?.create !== 'function')
        return { unavailable: 'onnxruntime-node has no InferenceSession' };
      return new OrtBackend(ort, Math.max(1, Math.floor(threads)));
    } catch (e) {
      return { unavailable: `onnxruntime-node failed to load: ${(e as Error).message.split('\n')[0]}` };
    }
  }

  tensor(data: Float64Array, dims: readonly number[]): OrtTensor {
    return new this.ort.Tensor('float64', data, dims);
  }

  int64(values: readonly number[]): OrtTensor {
    return new this.ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  /** Compiles the graph built by `build` under `key` now, so that its first run is not slowed by it. */
  async prepare(key: string, build: () => GraphSpec): Promise<void> {
    await this.session(key, build);
  }

  /** Runs the graph built by `build` (built and compiled once per key) on `feeds`. */
  async run(
    key: string,
    build: () => GraphSpec,
    feeds: Record<string, OrtTensor>,
  ): Promise<Record<string, Float64Array>> {
    const out = await (await this.session(key, build)).run(feeds);
    const result: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(out)) result[k] = v.data as Float64Array;
    return result;
  }

  /**
   * Runs the graph with its outputs written into `outputs`' own memory (onnxruntime-node's
   * pre-allocated fetches). An output may be the same tensor as an input that only its last
   * node reads (as C of a Gemm): the update then happens in place. Fresh output memory
   * costs first-touch page faults; a rank-16 update of 464×480 took 1.4–2.9 ms with a fresh
   * output and 0.35–0.41 ms in place (a scratch timing script, one thread).
   */
  async runInto(
    key: string,
    build: () => GraphSpec,
    feeds: Record<string, OrtTensor>,
    outputs: Record<string, OrtTensor>,
  ): Promise<void> {
    await (await this.session(key, build)).run(feeds, outputs);
  }

  private session(key: string, build: () => GraphSpec): Promise<OrtSession> {
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = this.ort.InferenceSession.create(encodeModel(build()), {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // No arena: it would keep the largest output (the Gram matrix) allocated for the
        // session's lifetime, on top of the copy the binding hands to JavaScript.
        enableCpuMemArena: false,
        enableMemPattern: false,
        // No busy-waiting between runs: the pool threads would spin on the core that the
        // JavaScript between GEMMs (panel QR, bulge chasing) needs. Measured at n=1024 on
        // the shared 2-core machine: 0.24–0.39 s without spinning vs 1.1–1.9 s with it.
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
      this.sessions.set(key, session);
    }
    return session;
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release?.();
  }
}

function requireOrt(): OrtModule {
  keepOrtTelemetryOff();
  return createRequire(import.meta.url)('onnxruntime-node') as OrtModule;
}
