/**
 * The input formats `tandem import` reads, by name. Its own module so the command
 * line can list them without loading the readers.
 */
export const importPresets = ['canonical', 'hubspot', 'salesforce', 'mapped'] as const;
export type ImportPreset = (typeof importPresets)[number];
