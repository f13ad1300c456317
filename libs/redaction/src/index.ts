export * from './lib/mask';
export * from './lib/redact.stage';
