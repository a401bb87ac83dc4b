import { test, expect, Page } from "@playwright/test";
import { demoOwner, signIn } from "./helpers";

// Every screen of the navigation, as the demo owner sees it.
const screens = [
  "/",
  "/connections",
  "/mapping",
  "/upload",
  "/exceptions",
  "/reconciliation",
  "/matrix",
  "/preflight",
  "/pilot",
  "/weekly",
  "/collections",
  "/support",
  "/audit",
  "/settings",
];

/// The position and size of every visible block of the page's main area, in document order.
async function layout(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const blocks = document.querySelectorAll(
      "main h1, main h2, main h3, main section, main table, main tr, main form, main p, main li, " +
        "main label, main input, main select, main textarea, main button, main figure, main progress",
    );
    for (const el of Array.from(blocks)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const round = (v: number) => Math.round(v);
      out.push(`${el.tagName.toLowerCase()} ${round(r.x)},${round(r.y)} ${round(r.width)}×${round(r.height)}`);
    }
    return out;
  });
}

// Layout shifts (Layout Instability API) are summed from the moment the page is told to start.
test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __shifts: { t: number; v: number }[] };
    w.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { startTime: number; value: number; hadRecentInput: boolean }[]) {
        if (!e.hadRecentInput) w.__shifts.push({ t: e.startTime, v: e.value });
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
});

test("hydrating a server-rendered screen moves nothing", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("home-user")).toBeVisible();
  for (const path of screens) {
    // Hold the front end's WebAssembly until the server-rendered page is measured.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await page.route(/\.wasm$/, async (route) => {
      await gate;
      await route.continue();
    });
    const wasmAsked = page.waitForRequest(/\.wasm$/);
    await page.goto(path, { waitUntil: "domcontentloaded" });
    await wasmAsked;
    await page.waitForFunction(() => document.readyState === "complete");
    expect(await page.locator("body[data-hydrated]").count(), `${path} waits for its wasm`).toBe(0);
    const server = await layout(page);
    const start = await page.evaluate(() => performance.now());

    release();
    await page.locator("body[data-hydrated]").waitFor();
    await page.waitForLoadState("networkidle");
    const hydrated = await layout(page);
    const shift = await page.evaluate(
      (from) =>
        (window as unknown as { __shifts: { t: number; v: number }[] }).__shifts
          .filter((s) => s.t >= from)
          .reduce((sum, s) => sum + s.v, 0),
      start,
    );
    await page.unroute(/\.wasm$/);

    expect(server.length, `${path} renders on the server`).toBeGreaterThan(3);
    expect(hydrated, `${path}: every block where the server put it`).toEqual(server);
    expect(shift, `${path}: layout shift while hydrating`).toBeLessThan(0.001);
  }
});

test("every screen fits a phone's width", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, demoOwner);
  await expect(page.getByTestId("home-user")).toBeVisible();
  for (const path of screens) {
    await page.goto(path);
    await page.locator("body[data-hydrated]").waitFor();
    await page.waitForLoadState("networkidle");
    const { scroll, width, wide } = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      // Blocks wider than the screen, unless inside something that scrolls sideways on purpose.
      const wide: string[] = [];
      for (const el of Array.from(document.querySelectorAll("main *"))) {
        const r = el.getBoundingClientRect();
        if (r.right <= width + 1 || r.width === 0) continue;
        let scroller = el.parentElement;
        let contained = false;
        while (scroller && scroller !== document.body) {
          const o = getComputedStyle(scroller).overflowX;
          if (o === "auto" || o === "scroll" || o === "hidden") {
            contained = true;
            break;
          }
          scroller = scroller.parentElement;
        }
        if (!contained) wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
      }
      return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
    });
    await page.screenshot({ path: testInfo.outputPath(`phone${path === "/" ? "-home" : path.replace(/\//g, "-")}.png`), fullPage: true });
    expect(wide, `${path}: nothing wider than the phone`).toEqual([]);
    expect(scroll, `${path}: no sideways scrolling`).toBeLessThanOrEqual(width);
  }
  await context.close();
});

test("every form control on every screen has a label", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("home-user")).toBeVisible();
  for (const path of screens) {
    await page.goto(path);
    await page.locator("body[data-hydrated]").waitFor();
    const unlabelled = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of Array.from(document.querySelectorAll("main input, main select, main textarea"))) {
        const input = el as HTMLInputElement;
        if (input.type === "hidden") continue;
        const named =
          (input.labels && input.labels.length > 0) ||
          input.getAttribute("aria-label") ||
          input.getAttribute("aria-labelledby") ||
          input.getAttribute("title");
        if (!named) out.push(`${el.tagName.toLowerCase()}[name=${input.name}]`);
      }
      return out;
    });
    expect(unlabelled, `${path}: form controls without a label`).toEqual([]);
  }
});

test("Home's charts draw the bars the server computed, on a desktop and on a phone", async ({ browser }) => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 740 }]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await signIn(page, demoOwner);
    await expect(page.getByTestId("home-user")).toBeVisible();
    await page.locator("body[data-hydrated]").waitFor();
    await expect(page.getByTestId("chart-lag")).toBeVisible();
    const bars = await page.evaluate(() =>
      Array.from(document.querySelectorAll("figure.chart rect.bar")).map((el) => {
        const rect = el as SVGRectElement;
        return { drawn: Math.round(rect.getBBox().height * 10) / 10, asked: Number(rect.getAttribute("height")) };
      }),
    );
    expect(bars.length, "the charts have bars").toBeGreaterThan(5);
    for (const b of bars) expect(b.drawn, `a bar ${viewport.width} px wide`).toBeCloseTo(b.asked, 0);
    await context.close();
  }
});
