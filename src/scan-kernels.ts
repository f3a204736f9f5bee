/**
 * The tensor scan's per-element loops in WebAssembly (spectrum/wasm/scan.as.ts): the same
 * operations in the same order as their TypeScript twins (tensor-checks.ts scanSums,
 * entry-rms.ts sampleBlock), so the same numbers. Each block is copied into the kernel memory
 * first. Why: see scan.as.ts; a small model's tensors were scanned by V8's interpreter
 * before it had compiled the loops. Each function returns false when the kernels are not
 * there (then the caller runs the twin).
 */
import { wasmKernels, wasmScratch } from './spectrum/wasm.js';

/**
 * Largest block sampleBlock's kernel takes: it reads every step-th value but is given the
 * whole block; above this (step > 4) the TypeScript loop, which V8 compiles within its first
 * call of 65,536 samples, costs less than the copy.
 */
export const SAMPLE_KERNEL_MAX = 4 * 65536;

/** scanSums(block, start, end, sums, clip, f) by the kernel; false without kernels. */
export function scanSumsKernel(
  block: Float64Array,
  start: number,
  end: number,
  sums: Float64Array,
  clip: number,
  f: number,
): boolean {
  const k = wasmKernels('sync');
  if (k === undefined) return false;
  const n = end - start;
  const mem = wasmScratch(k, n + sums.length);
  mem.set(block.subarray(start, end));
  mem.set(sums, n);
  k.scanSums(0, n, n * 8, clip, f);
  sums.set(mem.subarray(n, n + sums.length));
  return true;
}

/** sampleBlock(block, from, step, top, state) by the kernel; false without kernels or above SAMPLE_KERNEL_MAX. */
export function sampleKernel(
  block: Float64Array,
  from: number,
  step: number,
  top: Float64Array,
  state: Float64Array,
): boolean {
  const n = block.length;
  if (n > SAMPLE_KERNEL_MAX) return false;
  const k = wasmKernels('sync');
  if (k === undefined) return false;
  const h = top.length;
  const mem = wasmScratch(k, n + h + 1);
  mem.set(block);
  mem.set(top, n);
  mem[n + h] = state[0]!;
  k.sampleStrided(0, n, from, step, n * 8, h, (n + h) * 8);
  top.set(mem.subarray(n, n + h));
  state[0] = mem[n + h]!;
  return true;
}
