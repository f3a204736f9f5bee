/**
 * src/load/dtype.ts's F16 widener without WebAssembly (RMT_ANALYZE_NO_WASM=1): its TypeScript
 * twin gives the same bits as the kernel's results, every half's table entry (test/load/
 * dtype.test.ts runs the kernel). Set before the module is imported: the kernels are
 * looked up once per thread.
 */
process.env.RMT_ANALYZE_NO_WASM = '1';

import { describe, expect, it } from 'vitest';
import { f16ToNumber, widen } from '../../src/load/dtype.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';

describe('F16 widening without the kernels', () => {
  it('runs the TypeScript twin, which gives every half the bits of its table entry', () => {
    expect(wasmKernels('sync')).toBeUndefined();
    for (const shift of [0, 1]) {
      const count = 65536 + 3;
      const backing = new Uint8Array(2 * count + 1);
      const view = new DataView(backing.buffer, shift);
      for (let i = 0; i < count; i++) view.setUint16(2 * i, i & 0xffff, true);
      const got = new BigUint64Array(widen(backing.subarray(shift, shift + 2 * count), 'F16', count).buffer);
      const want = new BigUint64Array(Float64Array.from({ length: count }, (_, i) => f16ToNumber(i & 0xffff)).buffer);
      let differ = 0;
      for (let i = 0; i < count; i++) if (got[i] !== want[i]) differ++;
      expect(differ).toBe(0);
    }
  });
});
