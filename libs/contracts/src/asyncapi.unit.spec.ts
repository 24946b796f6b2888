import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { asyncApiDocument } from './asyncapi';
import { knownEventTypes } from './event-schemas';
import { ASYNCAPI_FILE, renderSchemaFiles } from './generate-schemas.main';
import { LEAD_EVENTS_DLQ_TOPIC, LEAD_EVENTS_TOPIC } from './topics';

const committedPath = path.join(__dirname, '..', 'schemas', ASYNCAPI_FILE);
const ERROR = 0; // @asyncapi/parser's DiagnosticSeverity.Error

async function errorsOf(document: unknown): Promise<string[]> {
  const diagnostics = await new Parser().validate(JSON.stringify(document));
  return diagnostics
    .filter((diagnostic) => Number(diagnostic.severity) === ERROR)
    .map((diagnostic) => `${diagnostic.path.join('.')}: ${diagnostic.message}`);
}

describe('the AsyncAPI 3.0 document (libs/contracts/schemas/asyncapi.json)', () => {
  it('is the generated one, byte for byte', async () => {
    const fresh = (await renderSchemaFiles()).get(ASYNCAPI_FILE);
    expect(readFileSync(committedPath, 'utf8') === fresh).toBe(true);
  });

  it('validates with @asyncapi/parser: no error diagnostics', async () => {
    const committed: unknown = JSON.parse(readFileSync(committedPath, 'utf8'));
    expect(await errorsOf(committed)).toEqual([]);
  });

  it('describes both topics and one message per event type and version, each pinned to its ce_type', async () => {
    const { document } = await new Parser().parse(JSON.stringify(asyncApiDocument()));
    if (!document) throw new Error('the document did not parse');
    const addresses = document
      .channels()
      .all()
      .map((channel) => channel.address());
    expect(addresses.sort()).toEqual([LEAD_EVENTS_TOPIC, LEAD_EVENTS_DLQ_TOPIC].sort());
    const leadEvents = document.channels().get('leadEvents');
    const names = leadEvents
      ?.messages()
      .all()
      .map((message) => message.name());
    // The current version under the type's name, each older one the topic still carries as
    // <type>.v<N>: a consumer meets both LeadCaptured v1 and v2 messages.
    expect(names?.sort()).toEqual([...knownEventTypes, 'LeadCaptured.v1'].sort());
    const headersOf = (name: string) =>
      JSON.stringify(
        leadEvents
          ?.messages()
          .all()
          .find((message) => message.name() === name)
          ?.headers()
          ?.json(),
      );
    expect(headersOf('LeadCaptured')).toContain('"const":"com.tandem.lead.LeadCaptured.v2"');
    expect(headersOf('LeadCaptured')).toContain(
      '"const":"urn:tandem:schema:event:LeadCaptured:v2"',
    );
    expect(headersOf('LeadCaptured.v1')).toContain('"const":"com.tandem.lead.LeadCaptured.v1"');
    expect(headersOf('LeadCaptured.v1')).toContain(
      '"const":"urn:tandem:schema:event:LeadCaptured:v1"',
    );
  });

  it('given a broken document, the validator reports it (it is not a rubber stamp)', async () => {
    const broken = asyncApiDocument() as { channels: Record<string, Record<string, unknown>> };
    delete broken.channels.leadEvents!.address;
    (broken.channels.deadLetters as Record<string, unknown>).messages = 'none';
    expect((await errorsOf(broken)).length).toBeGreaterThan(0);
  });
});
