// Debian's Chromium driven by playwright-core with executablePath (never a downloaded browser), for
// the browser tests (/docs, the web UI). Records every request, refusal and console error, so a test
// can assert that a page loaded only from this server and logged no error.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  /** Every URL the pages loaded. */
  requested: string[];
  /** URLs the browser refused, with why. */
  refused: string[];
  /** Console errors and uncaught page errors. */
  consoleErrors: string[];
  /** "<status> <url>" of every answer with a status of 400 or more. */
  failedResponses: string[];
  /** Where screenshots go: `docs/<folder>` with UPDATE_SCREENSHOTS=1, else a temp folder. */
  shots: string;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile; `screenshots` names the docs folder for UPDATE_SCREENSHOTS=1. */
export async function launchBrowser(screenshots: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      "Debian's chromium is missing: run scripts/install-test-deps.sh (apt-get install chromium)",
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "mlops-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  const requested: string[] = [];
  const refused: string[] = [];
  const consoleErrors: string[] = [];
  const failedResponses: string[] = [];
  context.on("response", (r) => {
    if (r.status() >= 400) failedResponses.push(`${r.status()} ${r.url()}`);
  });
  context.on("requestfinished", (r) => requested.push(r.url()));
  context.on("requestfailed", (r) => refused.push(`${r.url()} ${r.failure()?.errorText}`));
  context.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  context.on("weberror", (e) => consoleErrors.push(`uncaught: ${e.error().message}`));
  const shots = process.env.UPDATE_SCREENSHOTS
    ? resolve(import.meta.dirname, "../../docs", screenshots)
    : join(tmpdir(), `mlops-screenshots-${screenshots.replaceAll("/", "-")}`);
  mkdirSync(shots, { recursive: true });
  return {
    context,
    requested,
    refused,
    consoleErrors,
    failedResponses,
    shots,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
