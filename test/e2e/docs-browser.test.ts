// /docs (Swagger UI) and /redoc (ReDoc) in Debian's Chromium, driven by playwright-core with
// executablePath (never a downloaded browser): the pages render from local assets only, list
// POST /predict, and Swagger UI's "Try it out" on /predict gets a 200. Screenshots go to the temp
// folder, or to docs/images/ with UPDATE_SCREENSHOTS=1 (how the README's picture is made).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { type Browser, launchBrowser } from "../kit/browser.js";

let app: App;
let b: Browser;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  await seedModel(tmp.dir, { stage: "Production", seed: 3 });
  app = await startTestApp(tmp.dir);
  b = await launchBrowser("images");
});

afterAll(async () => {
  await b?.close();
  await app?.close();
  cleanup?.();
});

const base = () => `http://127.0.0.1:${app.httpPort}`;

describe("API docs in Chromium", () => {
  it("/docs lists POST /predict, and Try it out on it gets a 200", async () => {
    const page = await b.context.newPage();
    await page.goto(`${base()}/docs`);
    const predict = page.locator('.opblock-post:has(.opblock-summary-path[data-path="/predict"])');
    await predict.waitFor({ timeout: 30_000 });
    expect(await predict.locator(".opblock-summary-method").textContent()).toBe("POST");
    await page.screenshot({ path: join(b.shots, "swagger.png") });
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
      .screenshot({ path: join(b.shots, "swagger-try-it-out.png") });
    await page.close();
  });

  it("/redoc renders the same document and lists /predict", async () => {
    const page = await b.context.newPage();
    await page.goto(`${base()}/redoc`);
    const op = page.locator('[data-section-id="operation/predict"]');
    await op.waitFor({ timeout: 30_000 });
    expect(await op.textContent()).toContain("/predict");
    await page.screenshot({ path: join(b.shots, "redoc.png") });
    await page.close();
  });

  it("every asset came from this server: nothing from a CDN", () => {
    expect(b.requested.length).toBeGreaterThan(4);
    expect(
      b.requested.filter(
        (u) => !u.startsWith(`${base()}/`) && !u.startsWith("data:") && !u.startsWith("blob:"),
      ),
    ).toEqual([]);
    expect(b.requested).toContain(`${base()}/openapi.json`);
    // The one refusal expected: ReDoc's footer logo, the one remote URL in its bundle, which the
    // pages' Content-Security-Policy blocks before it leaves the browser.
    for (const r of b.refused)
      expect(r).toMatch(/^https:\/\/cdn\.redoc\.ly\/.* (net::ERR_BLOCKED_BY_CSP|csp)$/);
    expect(b.consoleErrors.filter((e) => !e.includes("cdn.redoc.ly"))).toEqual([]);
  });
});
