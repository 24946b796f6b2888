/** Injection tokens for the ports the app wires (one place, no string typos). */
export const EVENT_STORE = Symbol('EVENT_STORE');
export const ANALYTICS = Symbol('ANALYTICS');
export const TANDEM_CONFIG = Symbol('TANDEM_CONFIG');
export const LOGGER = Symbol('LOGGER');
