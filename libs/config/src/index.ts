export * from './tandem.config';
