export * from './rng.js';
export * from './linalg.js';
export * from './storage.js';
export * from './families.js';
export * from './analyse.js';
export * from './calibration.js';
export * from './quantize.js';
