# numpy side of the whole-model benchmark (bench/models.ts; never a dependency of the tool):
# the same eigen work rmt-analyze did on a model, read from its --json report's analysed
# layers — for each, `slices` Gram products of an N×M float64 matrix (seeded Gaussian, one
# per shape) and eigvalsh of each M×M. The caller times this whole process, interpreter
# start included, as it times rmt-analyze's.
# usage: python3 numpy_model.py <layers.json: [[N, M, slices], ...]>
import json, sys
import numpy as np

layers = json.load(open(sys.argv[1]))
rng = np.random.default_rng(0)
matrices = {}
for n, m, slices in layers:
    W = matrices.get((n, m))
    if W is None:
        W = matrices[(n, m)] = rng.standard_normal((n, m))
    for _ in range(slices):
        np.linalg.eigvalsh(W.T @ W)
