export * from './tandem.config';
export * from './observability.config';
