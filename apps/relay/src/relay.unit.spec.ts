import { recordBytes, requestsWithin } from './relay';

describe('the relay’s produce requests within the topic’s largest batch', () => {
  it('splits a batch where the next message would pass the limit, in order', () => {
    expect(requestsWithin([300, 300, 300, 300], 800)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(requestsWithin([100, 100, 100], 10_000)).toEqual([[0, 1, 2]]);
  });

  it('sends a message alone when it fills a request by itself, never an empty request', () => {
    expect(requestsWithin([50, 900, 50], 800)).toEqual([[0], [1], [2]]);
    expect(requestsWithin([], 800)).toEqual([]);
  });

  it('counts a message’s key, value and headers in bytes, not characters', () => {
    const ascii = recordBytes({ key: 'k', value: 'aaaa', headers: { h: 'v' } });
    const utf8 = recordBytes({ key: 'k', value: 'éééé', headers: { h: 'v' } });
    expect(utf8 - ascii).toBe(4);
    expect(ascii).toBeGreaterThan(1 + 4 + 1 + 1);
  });
});
