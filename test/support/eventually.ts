/** Kept for the suites under test/: the helper lives in @tandem/testing. */
export { eventually } from '@tandem/testing';
