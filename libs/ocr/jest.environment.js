// Jest runs tests in a vm context with its own typed-array constructors, but native addons
// (onnxruntime-node) build their outputs in the host realm, and onnxruntime-common checks
// `data instanceof Float32Array` against the context's constructor, failing with "A float32 tensor's
// data must be type of function Float32Array()". jest-environment-node already shares ArrayBuffer and
// Uint8Array for the same reason; share the rest of the typed arrays too.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

module.exports = class HostTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
};
