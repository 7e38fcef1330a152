// ESM entry point: the same objects as the CommonJS entry (index.js). Node reads the named
// exports of both CommonJS files statically (tsc's `exports.X = …` form).
export * from './index.js'
export * from './errors.js'
import enduco from './index.js'
export default enduco
