/** libs/logging: structured JSON logs with correlation context. */
export * from './log-context';
export * from './logger';
export * from './nest-logger';
