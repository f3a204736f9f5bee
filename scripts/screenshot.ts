/// <reference lib="dom" />
/**
 * Screenshots of an HTML report in headless Chromium, for looking at the design:
 *   npx tsx scripts/screenshot.ts report.html out-prefix [--open] [--width 1280] [--select CSS]
 * writes out-prefix-top.png (the first screen), out-prefix-full.png (the whole page) and,
 * with --select, out-prefix-el-N.png for the first few elements matching CSS.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { launchChromium } from '../test/browser/chromium.js';

const args = process.argv.slice(2);
const value = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const [file, prefix = '/tmp/report'] = args.filter(
  (a, i) => !a.startsWith('--') && !['--width', '--select'].includes(args[i - 1] ?? ''),
);
if (!file) throw new Error('usage: screenshot.ts report.html out-prefix [--open] [--width N]');
const width = Number(value('--width') ?? 1280);
const select = value('--select');
const browser = await launchChromium({ width, height: 900 });
try {
  const page = await browser.context.newPage();
  await page.goto(pathToFileURL(resolve(file)).href);
  if (process.argv.includes('--open')) {
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  }
  await page.screenshot({ path: `${prefix}-top.png` });
  await page.screenshot({ path: `${prefix}-full.png`, fullPage: true });
  console.error(`wrote ${prefix}-top.png and ${prefix}-full.png`);
  if (select) {
    const els = await page.locator(select).all();
    for (const [i, el] of els.slice(0, 6).entries()) {
      await el.screenshot({ path: `${prefix}-el-${i}.png` });
      console.error(`wrote ${prefix}-el-${i}.png`);
    }
  }
} finally {
  await browser.close();
}
