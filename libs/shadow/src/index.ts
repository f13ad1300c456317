export * from './lib/plan';
export * from './lib/report';
export * from './lib/comparer';
export * from './lib/shadow';
export * from './lib/shadow-command';
