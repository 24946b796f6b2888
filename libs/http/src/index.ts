/** libs/http: what every Tandem HTTP server answers the same way (problem details). */
export * from './problem';
export * from './client-errors';
export * from './same-secret';
export * from './connection-bounds';
