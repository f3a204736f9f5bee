/// <reference lib="dom" />
/**
 * The HTML report in a real browser (issue 7's acceptance test): the report of a real
 * model, written by the built CLI, opened from a file:// URL in headless Chromium
 * (the binary inside the npm package @sparticuz/chromium, see chromium.ts — a missing
 * browser fails here, it is never skipped). Every plot must have a non-empty box once all sections are open, no
 * request may leave the page, and hostile tensor names must stay text.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from './chromium.js';
import { REFERENCE, runCli } from '../helpers.js';
import { writeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { mulberry32 } from '../../scripts/fixtures/seeded.js';

/** The model the report is made of: a small synthetic safetensors reference (fast, deterministic; the ONNX loader is covered elsewhere). */
const MODEL = join(REFERENCE, 'synthetic.safetensors');

const HOSTILE = '<img src=x onerror=alert(1)>';

let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-report-'));
  browser = await launchChromium();
  // On x86-64 Linux the browser must be the npm one: the suite needs nothing but npm.
  if (process.platform === 'linux' && process.arch === 'x64') expect(browser.from).toBe('npm @sparticuz/chromium');
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface PageFindings {
  readonly requests: string[];
  readonly dialogs: string[];
  readonly consoleErrors: string[];
}

/** Opens the report, records every request, dialog and console error, opens every section. */
async function openReport(file: string) {
  const page = await browser.context.newPage();
  const findings: PageFindings = { requests: [], dialogs: [], consoleErrors: [] };
  page.on('request', (r) => findings.requests.push(r.url()));
  page.on('dialog', (d) => {
    findings.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') findings.consoleErrors.push(m.text());
  });
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  return { page, url, findings };
}

describe('HTML report in headless Chromium', () => {
  it('of a real model: every plot has a box, nothing is requested, the page is complete', async () => {
    const file = join(dir, 'report.html');
    const r = runCli([MODEL, '--report', file]);
    expect(r.code, r.stderr).toBe(0);
    const { page, url, findings } = await openReport(file);

    // Nothing but the page itself (and data: URLs) may be requested.
    expect(findings.requests.filter((u) => u !== url && !u.startsWith('data:'))).toEqual([]);
    expect(findings.dialogs).toEqual([]);
    expect(findings.consoleErrors).toEqual([]);

    const analysed = (await readFile(file, 'utf8')).match(/<details class="layer"/g)?.length ?? 0;
    expect(analysed).toBe(12);
    const plots = await page.locator('svg.plot').all();
    // Two ESD plots per analysed layer, and the α histogram.
    expect(plots.length).toBe(2 * analysed + 1);
    for (const svg of [...plots, ...(await page.locator('svg.phasebar').all())]) {
      await svg.scrollIntoViewIfNeeded();
      const box = await svg.boundingBox();
      expect(box, await svg.evaluate((e) => e.querySelector('title')?.textContent ?? '')).not.toBeNull();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(10);
    }

    // Every text of every plot stays inside its SVG (no label cut off or overflowing).
    const overflowing = await page.evaluate(() => {
      const out: string[] = [];
      document.querySelectorAll('svg.plot').forEach((svg) => {
        const s = svg.getBoundingClientRect();
        svg.querySelectorAll('text').forEach((t) => {
          const b = t.getBoundingClientRect();
          if (b.left < s.left - 1 || b.top < s.top - 1 || b.right > s.right + 1 || b.bottom > s.bottom + 1) {
            out.push(`${svg.querySelector('title')?.textContent}: "${t.textContent}"`);
          }
        });
      });
      return out;
    });
    expect(overflowing).toEqual([]);

    // The index links to each layer's section; following one opens it.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = false)));
    await page.locator('#index a[href="#L1"]').click();
    // The report opens it on 'hashchange', an event queued after the navigation: wait for it
    // (at most 2 s) rather than read at once (CI saw it still closed, once in five runs).
    const opened = () => (document.getElementById('L1') as HTMLDetailsElement | null)?.open === true;
    await page.waitForFunction(opened, undefined, { timeout: 2000 }).catch(() => undefined);
    expect(await page.locator('#L1').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    // … and its top is at the top of the view (issue 15, item 13), also for a section further down.
    for (const target of ['#L1', '#L9']) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.locator(`#index a[href="${target}"]`).click();
      await page.waitForTimeout(100);
      const top = await page.locator(target).evaluate((d) => d.getBoundingClientRect().top);
      expect(Math.abs(top), target).toBeLessThan(2);
    }
    await page.close();
  });

  it('hostile tensor names stay text: no script runs, no request is made', async () => {
    const model = join(dir, 'hostile.safetensors');
    const rnd = mulberry32(11);
    const values = Float64Array.from({ length: 40 * 20 }, () => rnd() - 0.5);
    await writeSafetensors(model, [
      { name: HOSTILE, dtype: 'F32', shape: [40, 20], values },
      { name: '"><script>alert(2)</script>', dtype: 'F32', shape: [40, 20], values: values.map((v) => v * 2 + 0.01) },
    ]);
    const file = join(dir, 'hostile.html');
    const r = runCli([model, '--report', file]);
    expect(r.code, r.stderr).toBe(0);
    const { page, url, findings } = await openReport(file);
    expect(findings.requests.filter((u) => u !== url && !u.startsWith('data:'))).toEqual([]);
    expect(findings.dialogs).toEqual([]);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    // The names are shown, as text.
    expect(await page.locator('details.layer .lname').allTextContents()).toEqual([
      HOSTILE,
      '"><script>alert(2)</script>',
    ]);
    await page.close();
  });

  it('(control) the request recorder sees a page that does load something', async () => {
    const file = join(dir, 'control.html');
    await writeFile(file, '<!doctype html><img src="control.png">');
    const { page, url, findings } = await openReport(file);
    expect(findings.requests).toContain(url.replace('control.html', 'control.png'));
    await page.close();
  });
});
