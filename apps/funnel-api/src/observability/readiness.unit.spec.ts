import { judgeReadiness, type ReadinessInputs } from './readiness';

const healthy: ReadinessInputs = {
  eventStoreUp: true,
  clickhouseUp: true,
  projection: { lagEvents: 0, refusedEvents: 0, failing: false },
  viewsFromSnapshot: true,
  outdatedRuleSets: 0,
};

describe('judgeReadiness', () => {
  it('is ready when the store and ClickHouse answer and the projection is current', () => {
    expect(judgeReadiness(healthy, 100)).toMatchObject({ status: 'ready', failed: [] });
  });

  it('is not ready while the projection lags beyond the bound, and ready again within it', () => {
    const behind = { ...healthy, projection: { ...healthy.projection!, lagEvents: 101 } };
    expect(judgeReadiness(behind, 100)).toMatchObject({
      status: 'not ready',
      failed: ['projection'],
      checks: { projection: { lagEvents: 101, maxLagEvents: 100 } },
    });
    const caughtUp = { ...healthy, projection: { ...healthy.projection!, lagEvents: 100 } };
    expect(judgeReadiness(caughtUp, 100).status).toBe('ready');
  });

  it('is not ready once the projection refused an event or its last batch failed', () => {
    const refused = { ...healthy, projection: { ...healthy.projection!, refusedEvents: 1 } };
    const failing = { ...healthy, projection: { ...healthy.projection!, failing: true } };
    expect(judgeReadiness(refused, 100).failed).toEqual(['projection']);
    expect(judgeReadiness(failing, 100).failed).toEqual(['projection']);
  });

  it('names every dependency that is down, and is ready again when they answer', () => {
    const down = { ...healthy, eventStoreUp: false, clickhouseUp: false };
    expect(judgeReadiness(down, 100)).toMatchObject({
      status: 'not ready',
      failed: ['eventStore', 'clickhouse'],
      checks: { eventStore: { up: false }, clickhouse: { up: false } },
    });
    expect(judgeReadiness({ ...down, eventStoreUp: true, clickhouseUp: true }, 100).status).toBe(
      'ready',
    );
  });

  it('is not ready while the views would fold the whole state, and ready once they read a snapshot', () => {
    const folding = { ...healthy, viewsFromSnapshot: false };
    expect(judgeReadiness(folding, 100)).toMatchObject({
      status: 'not ready',
      failed: ['views'],
      checks: { views: { fromSnapshot: false } },
    });
    expect(judgeReadiness(healthy, 100)).toMatchObject({
      status: 'ready',
      checks: { views: { fromSnapshot: true } },
    });
  });

  it('is not ready while kept rule sets hold rows computed by other code, and ready once re-derived', () => {
    expect(judgeReadiness({ ...healthy, outdatedRuleSets: 2 }, 100)).toMatchObject({
      status: 'not ready',
      failed: ['ruleFacts'],
      checks: { ruleFacts: { outdatedRuleSets: 2 } },
    });
    expect(judgeReadiness(healthy, 100)).toMatchObject({
      status: 'ready',
      checks: { ruleFacts: { outdatedRuleSets: 0 } },
    });
  });

  it('judges no projection and no views where this process runs neither (Kafka mode)', () => {
    expect(
      judgeReadiness({ ...healthy, projection: null, viewsFromSnapshot: null }, 0),
    ).toMatchObject({
      status: 'ready',
      checks: { projection: { mode: 'off' }, views: { snapshots: 'off' } },
    });
  });
});
