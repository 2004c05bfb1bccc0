// /docs (Swagger UI) and /redoc (ReDoc) in Debian's Chromium, driven by playwright-core with
// executablePath (never a downloaded browser): the pages render from local assets only, list
// POST /predict, and Swagger UI's "Try it out" on /predict gets a 200. Screenshots go to the temp
// folder, or to docs/images/ with UPDATE_SCREENSHOTS=1 (how the README's picture is made).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { seedModel, startTestApp, tempDataDir } from "../helpers/app.js";

const CHROMIUM = "/usr/bin/chromium";
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
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? resolve(import.meta.dirname, "../../docs/images")
  : join(tmpdir(), "mlops-screenshots");

let app: App;
let browser: BrowserContext;
let profile: string;
let cleanup: () => void;
/** Every URL the pages loaded, and those the browser refused (with why). */
const requested: string[] = [];
const refused: string[] = [];
/** Console errors of the pages (a refused script or style would show here). */
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      "Debian's chromium is missing: run scripts/install-test-deps.sh (apt-get install chromium)",
    );
  }
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  await seedModel(tmp.dir, { stage: "Production", seed: 3 });
  app = await startTestApp(tmp.dir);
  profile = mkdtempSync(join(tmpdir(), "mlops-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  browser.on("requestfinished", (r) => requested.push(r.url()));
  browser.on("requestfailed", (r) => refused.push(`${r.url()} ${r.failure()?.errorText}`));
  browser.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  cleanup?.();
});

const base = () => `http://127.0.0.1:${app.httpPort}`;

describe("API docs in Chromium", () => {
  it("/docs lists POST /predict, and Try it out on it gets a 200", async () => {
    const page = await browser.newPage();
    await page.goto(`${base()}/docs`);
    const predict = page.locator('.opblock-post:has(.opblock-summary-path[data-path="/predict"])');
    await predict.waitFor({ timeout: 30_000 });
    expect(await predict.locator(".opblock-summary-method").textContent()).toBe("POST");
    await page.screenshot({ path: join(SHOTS, "swagger.png") });
    await predict.locator(".opblock-summary").click();
    await predict.getByRole("button", { name: "Try it out" }).click();
    await predict.getByRole("button", { name: "Execute" }).click();
    const status = predict.locator(".live-responses-table .response .response-col_status").first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe("200");
    const body = await predict
      .locator(".live-responses-table .response-col_description pre")
      .first()
      .textContent();
    expect(JSON.parse(body ?? "")).toMatchObject({
      prediction: expect.any(Number),
      model_name: "ml_classifier",
    });
    await predict
      .locator(".live-responses-table")
      .screenshot({ path: join(SHOTS, "swagger-try-it-out.png") });
    await page.close();
  });

  it("/redoc renders the same document and lists /predict", async () => {
    const page = await browser.newPage();
    await page.goto(`${base()}/redoc`);
    const op = page.locator('[data-section-id="operation/predict"]');
    await op.waitFor({ timeout: 30_000 });
    expect(await op.textContent()).toContain("/predict");
    await page.screenshot({ path: join(SHOTS, "redoc.png") });
    await page.close();
  });

  it("every asset came from this server: nothing from a CDN", () => {
    expect(requested.length).toBeGreaterThan(4);
    expect(
      requested.filter(
        (u) => !u.startsWith(`${base()}/`) && !u.startsWith("data:") && !u.startsWith("blob:"),
      ),
    ).toEqual([]);
    expect(requested).toContain(`${base()}/openapi.json`);
    // The one refusal expected: ReDoc's footer logo, the one remote URL in its bundle, which the
    // pages' Content-Security-Policy blocks before it leaves the browser.
    for (const r of refused)
      expect(r).toMatch(/^https:\/\/cdn\.redoc\.ly\/.* (net::ERR_BLOCKED_BY_CSP|csp)$/);
    expect(consoleErrors.filter((e) => !e.includes("cdn.redoc.ly"))).toEqual([]);
  });
});
