export * from './lib/definition';
export * from './lib/derive';
export * from './lib/registry';
