export * from './lib/local-platform';
export * from './lib/process-supervisor';
export * from './lib/status';
export * from './lib/topics';
export * from './lib/restart-policy';
export * from './lib/kafka-keeper';
export * from './lib/stage-plan';
