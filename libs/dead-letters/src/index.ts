export * from './lib/dead-letters';
export * from './lib/replay';
export * from './lib/dlq-command';
