import { ConfigError, configWarnings, describeConfig, loadConfig } from './tandem.config';

describe('loadConfig', () => {
  it('defaults to the embedded stack under .tandem/data', () => {
    const config = loadConfig({});
    expect(config.eventStore.kind).toBe('pglite');
    expect(config.clickhouse.mode).toBe('embedded');
    expect(config.dataDir.endsWith('.tandem/data')).toBe(true);
    expect(config.http.port).toBe(3000);
  });

  it('keeps idempotency keys 24 h by default, and never less than a day', () => {
    expect(loadConfig({}).idempotency).toEqual({ ttlHours: 24, leaseSeconds: 60 });
    expect(loadConfig({ TANDEM_IDEMPOTENCY_TTL_HOURS: '72' }).idempotency.ttlHours).toBe(72);
    expect(() => loadConfig({ TANDEM_IDEMPOTENCY_TTL_HOURS: '1' })).toThrow(
      /TANDEM_IDEMPOTENCY_TTL_HOURS: /,
    );
    expect(() => loadConfig({ TANDEM_IDEMPOTENCY_TTL_HOURS: 'a day' })).toThrow(
      /TANDEM_IDEMPOTENCY_TTL_HOURS: /,
    );
    expect(() => loadConfig({ TANDEM_IDEMPOTENCY_LEASE_SECONDS: '0' })).toThrow(
      /TANDEM_IDEMPOTENCY_LEASE_SECONDS: /,
    );
  });

  it('names a wrong TANDEM_EVENT_STORE and the values it accepts', () => {
    expect(() => loadConfig({ TANDEM_EVENT_STORE: 'mongo' })).toThrow(ConfigError);
    expect(() => loadConfig({ TANDEM_EVENT_STORE: 'mongo' })).toThrow(
      /TANDEM_EVENT_STORE: must be one of pglite, postgres, kurrentdb \(got "mongo"\)/,
    );
  });

  it('requires the connection of the chosen store, naming the variable', () => {
    expect(() => loadConfig({ TANDEM_EVENT_STORE: 'postgres' })).toThrow(
      /TANDEM_POSTGRES_URL: required/,
    );
    expect(() =>
      loadConfig({ TANDEM_EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'http://x' }),
    ).toThrow(/KURRENTDB_URL: must be a kurrentdb:\/\/ or esdb:\/\//);
    expect(() => loadConfig({ TANDEM_CLICKHOUSE: 'server' })).toThrow(/CLICKHOUSE_URL: required/);
    expect(() => loadConfig({ TANDEM_PORT: 'eighty' })).toThrow(/TANDEM_PORT/);
  });

  it('never shows a password when describing the configuration', () => {
    const config = loadConfig({
      TANDEM_EVENT_STORE: 'postgres',
      TANDEM_POSTGRES_URL: 'postgres://tandem:s3cret@db:5432/tandem',
      TANDEM_CLICKHOUSE: 'server',
      CLICKHOUSE_URL: 'https://analyst:hunter2@ch:8443',
      CLICKHOUSE_PASSWORD: 'hunter2',
    });
    const text = describeConfig(config);
    expect(text).not.toMatch(/s3cret|hunter2/);
    expect(text).toContain('postgres');
  });

  it('nor one given as a query parameter, which libpq and node-postgres read as the password', () => {
    const text = describeConfig(
      loadConfig({
        TANDEM_EVENT_STORE: 'postgres',
        TANDEM_POSTGRES_URL: 'postgres://tandem@db:5432/tandem?sslmode=require&password=s3cret',
        TANDEM_AUTH_JWKS_URL: 'https://idp.example/jwks?access_token=t0ken',
      }),
    );
    expect(text).not.toMatch(/s3cret|t0ken/);
    expect(text).toContain('sslmode=require');
    expect(text).toContain('idp.example/jwks');
  });

  it('reads the HTTP edge limits: CORS off, 1mb bodies, 6000 writes a minute, reads unlimited by default', () => {
    expect(loadConfig({}).http).toMatchObject({
      corsOrigins: [],
      bodyLimitBytes: 1024 * 1024,
      writesPerMinute: 6000,
      readsPerMinute: null,
    });
    expect(
      loadConfig({
        TANDEM_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
        TANDEM_BODY_LIMIT: '512KB',
        TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '30',
        TANDEM_RATE_LIMIT_READS_PER_MINUTE: '600',
      }).http,
    ).toMatchObject({
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      bodyLimitBytes: 512 * 1024,
      writesPerMinute: 30,
      readsPerMinute: 600,
    });
    expect(loadConfig({ TANDEM_RATE_LIMIT_READS_PER_MINUTE: '0' }).http.readsPerMinute).toBeNull();
    expect(() => loadConfig({ TANDEM_RATE_LIMIT_READS_PER_MINUTE: '-1' })).toThrow(
      /TANDEM_RATE_LIMIT_READS_PER_MINUTE/,
    );
    expect(loadConfig({ TANDEM_BODY_LIMIT: '20000' }).http.bodyLimitBytes).toBe(20000);
    expect(loadConfig({ TANDEM_CORS_ORIGINS: '' }).http.corsOrigins).toEqual([]);
  });

  it.each([
    ['TANDEM_CORS_ORIGINS', '*'],
    ['TANDEM_CORS_ORIGINS', 'https://app.example.com/'],
    ['TANDEM_CORS_ORIGINS', 'https://app.example.com/path'],
    ['TANDEM_CORS_ORIGINS', 'ftp://files.example.com'],
    ['TANDEM_CORS_ORIGINS', 'app.example.com'],
    ['TANDEM_BODY_LIMIT', '1gb'],
    ['TANDEM_BODY_LIMIT', '65mb'],
    ['TANDEM_BODY_LIMIT', '0'],
    ['TANDEM_BODY_LIMIT', 'lots'],
    ['TANDEM_RATE_LIMIT_WRITES_PER_MINUTE', '0'],
    ['TANDEM_RATE_LIMIT_WRITES_PER_MINUTE', 'many'],
  ])('refuses %s=%j, naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`${variable}: `));
  });

  it('fetches signing keys over https, or plain http only from this machine', () => {
    expect(
      loadConfig({ TANDEM_AUTH_JWKS_URL: 'https://idp.example.com/jwks.json' }).auth.jwksUrl,
    ).toBe('https://idp.example.com/jwks.json');
    for (const local of [
      'http://localhost:8080/jwks',
      'http://127.0.0.1:8080/jwks',
      'http://127.8.9.10/jwks',
      'http://[::1]:8080/jwks',
    ]) {
      expect(loadConfig({ TANDEM_AUTH_JWKS_URL: local }).auth.jwksUrl).toBe(local);
    }
    for (const remote of [
      'http://idp.example.com/jwks.json',
      'http://10.0.0.5/jwks',
      'http://128.0.0.1/jwks',
      'http://localhost.example.com/jwks',
    ]) {
      expect(() => loadConfig({ TANDEM_AUTH_JWKS_URL: remote })).toThrow(
        /TANDEM_AUTH_JWKS_URL: must be an https:\/\/ URL .*loopback host/,
      );
    }
  });

  it('warns when a ClickHouse password would cross the network over plain http', () => {
    const server = { TANDEM_CLICKHOUSE: 'server', CLICKHOUSE_PASSWORD: 'hunter2-hunter2' };
    const remote = configWarnings(
      loadConfig({ ...server, CLICKHOUSE_URL: 'http://clickhouse.internal:8123' }),
    );
    expect(remote).toEqual([expect.stringMatching(/^CLICKHOUSE_URL: .*plain http/)]);
    expect(remote.join()).not.toContain('hunter2');
    expect(
      configWarnings(loadConfig({ ...server, CLICKHOUSE_URL: 'https://clickhouse.internal:8443' })),
    ).toEqual([]);
    expect(
      configWarnings(loadConfig({ ...server, CLICKHOUSE_URL: 'http://127.0.0.1:8123' })),
    ).toEqual([]);
    expect(
      configWarnings(
        loadConfig({ TANDEM_CLICKHOUSE: 'server', CLICKHOUSE_URL: 'http://clickhouse:8123' }),
      ),
    ).toEqual([]);
    expect(configWarnings(loadConfig({}))).toEqual([]);
  });

  it('warns when Kafka SASL credentials would reach a remote broker without TLS', () => {
    const sasl = {
      TANDEM_KAFKA: 'on',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'tandem',
      KAFKA_SASL_PASSWORD: 'secret',
    };
    expect(configWarnings(loadConfig({ ...sasl, KAFKA_BROKERS: 'kafka-1:9092' }))).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM without KAFKA_SSL=true/),
    ]);
    expect(
      configWarnings(loadConfig({ ...sasl, KAFKA_BROKERS: 'kafka-1:9092', KAFKA_SSL: 'true' })),
    ).toEqual([]);
    expect(configWarnings(loadConfig({ ...sasl, KAFKA_BROKERS: '127.0.0.1:9092' }))).toEqual([]);
  });

  it('warns when a PostgreSQL URL reaches a remote host without requiring TLS, password masked', () => {
    const postgres = (url: string) =>
      configWarnings(loadConfig({ TANDEM_EVENT_STORE: 'postgres', TANDEM_POSTGRES_URL: url }));
    for (const url of [
      'postgres://tandem:hunter2@db.internal:5432/tandem',
      'postgres://tandem:hunter2@db.internal/tandem?sslmode=disable',
      'postgresql://tandem:hunter2@10.0.0.7/tandem?sslmode=allow',
      'postgres://tandem@db.internal/tandem?sslmode=prefer&password=hunter2',
    ]) {
      const warnings = postgres(url);
      expect(warnings).toEqual([
        expect.stringMatching(
          /^TANDEM_POSTGRES_URL: postgres(ql)?:\/\/tandem.*without requiring TLS/,
        ),
      ]);
      expect(warnings.join()).not.toContain('hunter2');
    }
    for (const url of [
      'postgres://tandem:hunter2@db.internal/tandem?sslmode=require',
      'postgres://tandem:hunter2@db.internal/tandem?sslmode=verify-full',
      'postgres://tandem:hunter2@db.internal/tandem?ssl=true',
      'postgres://tandem:hunter2@127.0.0.1:5432/tandem',
      'postgres://tandem:hunter2@localhost/tandem?sslmode=disable',
      'postgres://tandem@/tandem?host=/var/run/postgresql',
    ]) {
      expect(postgres(url)).toEqual([]);
    }
    // The key store of a KurrentDB deployment is PostgreSQL too.
    expect(
      configWarnings(
        loadConfig({
          TANDEM_EVENT_STORE: 'kurrentdb',
          KURRENTDB_URL: 'kurrentdb://127.0.0.1:2113?tls=false',
          TANDEM_KEY_STORE_URL: 'postgres://keys:hunter2@keys.internal/keys',
        }),
      ),
    ).toEqual([expect.stringMatching(/^TANDEM_KEY_STORE_URL: .*\*\*\*@keys\.internal/)]);
  });

  it('warns when a KurrentDB connection string turns TLS off towards a remote host', () => {
    const kurrent = (url: string) =>
      configWarnings(
        loadConfig({
          TANDEM_EVENT_STORE: 'kurrentdb',
          KURRENTDB_URL: url,
          TANDEM_PERSONAL_DATA_SEALING: 'off',
        }),
      );
    const warnings = kurrent(
      'kurrentdb+discover://admin:hunter2@a.internal:2113,b.internal:2113?tls=false',
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^KURRENTDB_URL: tls=false to a\.internal, b\.internal, not loopback/),
    ]);
    expect(warnings.join()).not.toContain('hunter2');
    expect(kurrent('esdb://db.internal:2113?nodePreference=leader&TLS=False')).toHaveLength(1);
    expect(kurrent('kurrentdb://admin:hunter2@db.internal:2113')).toEqual([]);
    expect(kurrent('kurrentdb://db.internal:2113?tls=true')).toEqual([]);
    expect(kurrent('kurrentdb://127.0.0.1:2113,[::1]:2114,localhost:2115?tls=false')).toEqual([]);
  });

  it('bounds slow clients: 10 s for headers, 120 s a request, 65 s keep-alive, 100 headers', () => {
    expect(loadConfig({}).http).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 65_000,
      maxHeadersCount: 100,
    });
    expect(
      loadConfig({
        TANDEM_HTTP_HEADERS_TIMEOUT_MS: '2000',
        TANDEM_HTTP_KEEP_ALIVE_TIMEOUT_MS: '350000',
      }).http,
    ).toMatchObject({ headersTimeoutMs: 2_000, keepAliveTimeoutMs: 350_000 });
    expect(() =>
      loadConfig({
        TANDEM_HTTP_HEADERS_TIMEOUT_MS: '20000',
        TANDEM_HTTP_REQUEST_TIMEOUT_MS: '10000',
      }),
    ).toThrow(/TANDEM_HTTP_HEADERS_TIMEOUT_MS: must not exceed TANDEM_HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ TANDEM_HTTP_HEADERS_TIMEOUT_MS: '0' })).toThrow(
      /TANDEM_HTTP_HEADERS_TIMEOUT_MS: /,
    );
  });
});
