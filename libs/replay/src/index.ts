export * from './lib/time';
export * from './lib/ids';
export * from './lib/compare';
export * from './lib/state';
export * from './lib/copier';
export * from './lib/replay';
export * from './lib/replay-command';
