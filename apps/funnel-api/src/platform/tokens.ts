/** Injection tokens for the ports the app wires (one place, no string typos). */
export const EVENT_STORE = Symbol('EVENT_STORE');
export const ANALYTICS = Symbol('ANALYTICS');
export const TANDEM_CONFIG = Symbol('TANDEM_CONFIG');
export const LOGGER = Symbol('LOGGER');
/** The event store's API-key store (ADR 0011), `null` where the store has none (KurrentDB). */
export const API_KEYS = Symbol('API_KEYS');
