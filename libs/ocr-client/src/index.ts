export * from './lib/annotate';
export * from './lib/image-files';
export * from './lib/ocr-client';
export * from './lib/ocr-command';
export * from './lib/redact-command';
export * from './lib/command-start';
