/**
 * The identifiers of Tandem's event schemas: one `$id` per event type and schema version,
 * used as the JSON Schema's `$id`, as the CloudEvents `ce_dataschema` header and in the
 * AsyncAPI document, so all three name a schema the same way.
 *
 * A URN rather than an https URL: it identifies the schema without promising a server
 * that answers it. The file with that `$id` ships in the package as
 * `schemas/<Type>.v<N>.schema.json`. An identifier once published never changes meaning.
 */
export const SCHEMA_ID_PREFIX = 'urn:tandem:schema:event:';

/** `urn:tandem:schema:event:LeadCaptured:v1` */
export const schemaId = (type: string, schemaVersion: number): string =>
  `${SCHEMA_ID_PREFIX}${type}:v${schemaVersion}`;

/** `LeadCaptured.v1.schema.json`: where that schema's file is, in the package and the repo. */
export const schemaFileName = (type: string, schemaVersion: number): string =>
  `${type}.v${schemaVersion}.schema.json`;
