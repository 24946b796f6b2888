import { chooseFormat } from './response-format';

describe('chooseFormat', () => {
  it('lets ?format= win over Accept', () => {
    expect(chooseFormat('csv', 'application/json')).toBe('csv');
    expect(chooseFormat('json', 'text/csv')).toBe('json');
  });

  it.each([
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['text/csv', 'csv'],
    ['TEXT/CSV; charset=utf-8', 'csv'],
    ['text/csv, */*;q=0.8', 'csv'],
    ['text/csv, application/json', 'json'],
    ['application/json;q=0.5, text/csv', 'csv'],
    ['text/csv;q=0.5, application/json', 'json'],
    ['text/csv;q=0', 'json'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json'],
  ])('Accept %j → %s', (accept, expected) => {
    expect(chooseFormat(undefined, accept)).toBe(expected);
  });
});
