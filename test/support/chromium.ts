/**
 * Finds the Chromium the browser tests drive through playwright-core: $CHROMIUM_PATH, else
 * Debian's /usr/bin/chromium. Never a downloaded browser. Returns why not when there is none,
 * so a spec can skip with one line instead of failing on a machine without it.
 */
import { accessSync, constants } from 'node:fs';

export const CHROMIUM_PATH_ENV = 'CHROMIUM_PATH';
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export type ChromiumLookup =
  | { readonly found: true; readonly executablePath: string }
  | { readonly found: false; readonly reason: string };

export function findChromium(): ChromiumLookup {
  const configured = process.env[CHROMIUM_PATH_ENV];
  const candidate = configured !== undefined && configured !== '' ? configured : DEBIAN_CHROMIUM;
  try {
    accessSync(candidate, constants.X_OK);
    return { found: true, executablePath: candidate };
  } catch {
    return {
      found: false,
      reason:
        configured !== undefined && configured !== ''
          ? `${CHROMIUM_PATH_ENV}=${configured} is not an executable`
          : `no Chromium at ${DEBIAN_CHROMIUM} (apt-get install chromium, or set ${CHROMIUM_PATH_ENV})`,
    };
  }
}

/** Flags for headless Chromium in a container: no sandbox, GPU or background network. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;
