import { sameSecret, secretDigest } from './same-secret';

describe('sameSecret', () => {
  const expected = secretDigest('Bearer a-scraper-secret');

  it('accepts the same secret', () => {
    expect(sameSecret('Bearer a-scraper-secret', expected)).toBe(true);
  });

  it('refuses a different secret of the same length', () => {
    expect(sameSecret('Bearer a-scraper-secreT', expected)).toBe(false);
  });

  it('refuses a secret of another length without throwing', () => {
    expect(sameSecret('Bearer a-scraper', expected)).toBe(false);
    expect(sameSecret('Bearer a-scraper-secret-and-more', expected)).toBe(false);
  });

  it('refuses an empty secret, and an empty one matches only an empty one', () => {
    expect(sameSecret('', expected)).toBe(false);
    expect(sameSecret('', secretDigest(''))).toBe(true);
  });
});
