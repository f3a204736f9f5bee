import type { LoadedModel } from '../../types.js';
import { FormatError } from '../../errors.js';

/** Opens an ONNX model (inline or external data). Placeholder until the ONNX loader lands. */
export async function openOnnx(_path: string): Promise<LoadedModel> {
  throw new FormatError('ONNX reading is not implemented yet');
}
