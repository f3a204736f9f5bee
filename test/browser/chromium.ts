/**
 * Headless Chromium for the browser tests, with nothing but npm: the Chromium binary that the
 * npm package @sparticuz/chromium ships inside itself (brotli-compressed, unpacked to the temp
 * directory on first use; no download), with the NSS libraries it also ships, so that a fresh
 * Debian machine needs no apt step. Where that binary cannot run (it is built for x86-64
 * Linux), a system Chromium is used when present. Either way: no network of its own (no QUIC,
 * no background requests, no component updates, no sync), a fresh profile each launch.
 *
 * Version: @sparticuz/chromium 143.0.4, the newest whose `engines` accept Node 20 (from 147 on
 * it requires Node ≥ 22.17).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where a system Chromium is looked for when the npm one cannot run. */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // /dev/shm is small in containers; Chromium then writes shared memory to /tmp.
  '--disable-dev-shm-usage',
] as const;

export interface Browser {
  readonly context: BrowserContext;
  /** Which Chromium runs: 'npm @sparticuz/chromium' or a system path. */
  readonly from: string;
  close(): Promise<void>;
}

/**
 * The npm package's Chromium, unpacked. Its own shared libraries (NSS, NSPR, expat) are
 * unpacked only when the package believes it runs on Amazon Linux 2023 (AWS Lambda), which it
 * reads from AWS_EXECUTION_ENV when the module loads: saying so makes it unpack them and put
 * them on LD_LIBRARY_PATH, which the launched browser inherits. Nothing else reads that
 * variable here.
 */
async function npmChromium(): Promise<string | undefined> {
  if (platform() !== 'linux' || arch() !== 'x64') return undefined;
  process.env.AWS_EXECUTION_ENV ??= 'AWS_Lambda_nodejs20.x';
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

/** Launches Chromium with a fresh user-data dir; throws (never skips) when there is none. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  let executablePath: string | undefined;
  let from = 'npm @sparticuz/chromium';
  let npmError: unknown;
  try {
    executablePath = await npmChromium();
  } catch (e) {
    npmError = e;
  }
  if (executablePath === undefined) {
    executablePath = SYSTEM_CHROMIUM.find((p) => existsSync(p));
    from = executablePath ?? '';
  }
  if (executablePath === undefined) {
    const why = npmError instanceof Error ? `: ${npmError.message}` : ` on ${platform()}-${arch()}`;
    throw new Error(`no Chromium: @sparticuz/chromium cannot run${why}, and none of ${SYSTEM_CHROMIUM.join(', ')}`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'rmt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport,
    offline: true,
  });
  return {
    context,
    from,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
