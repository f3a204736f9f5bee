# numpy reference for bench/run.ts (never a dependency of the tool or its tests):
# read the float32 safetensors file, widen to float64, Gram (the smaller one), eigvalsh.
# usage: python3 numpy_case.py <file> <reps> <eigenvalues-out.f64>
import json, struct, sys, time
import numpy as np

path, reps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = []
eigen_only = []
for _ in range(reps):
    t0 = time.perf_counter()
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        meta = next(v for k, v in header.items() if k != '__metadata__')
        rows, cols = meta['shape']
        W = np.frombuffer(f.read(), dtype='<f4', count=rows * cols).reshape(rows, cols).astype(np.float64)
    t1 = time.perf_counter()
    G = W.T @ W if rows >= cols else W @ W.T
    ev = np.linalg.eigvalsh(G)
    t2 = time.perf_counter()
    times.append(t2 - t0)
    eigen_only.append(t2 - t1)
    del W, G
ev.astype('<f8').tofile(out)
print(json.dumps({'times': times, 'eigenOnly': eigen_only}))
