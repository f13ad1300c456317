export * from './config-error';
export * from './fields';
export * from './load-config';
export * from './common-config';
export * from './describe-config';
