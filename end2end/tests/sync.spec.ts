import { expect, test } from "@playwright/test";
import { demoBookkeeper, demoInfo, demoOwner, hydrated, nav, signIn } from "./helpers";

// The demo organization works on first start; an owner connects a new organization to the
// built-in emulators, maps its balances through a test batch, and syncs; a fault-injected
// sync fails with a readable reason and the next one succeeds.
test.describe.configure({ mode: "serial" });

const fresh = "Fresh Studio";

test("the demo organization is populated on first start", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  const panel = page.getByTestId("sync-panel");
  await expect(panel.getByTestId("run-status")).toHaveText("succeeded");
  await expect(panel).toContainText("Match rate");
  await expect(page.getByTestId("alerts")).toContainText("Bank feed");
  await page.screenshot({ path: "test-results/demo-home.png", fullPage: true });
});

test("the owner connects QuickBooks and Wise, maps balances through a test batch and syncs", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await page.goto("/settings");
  await hydrated(page);
  await page.locator("#org-name").fill(fresh);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page.locator("#switch-org")).toContainText(fresh);
  await page.locator("#switch-org").selectOption({ label: fresh });
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByTestId("org-name")).toHaveText(fresh);

  await nav(page, "Connections");
  await hydrated(page);
  await page.getByTestId("qbo-connect").click();
  await expect(page.getByTestId("connect-done")).toBeVisible();
  await expect(page.getByTestId("qbo-status")).toHaveText("connected");
  await expect(page.getByTestId("qbo-name")).toHaveText("Clearline Demo Studio");
  await hydrated(page);
  await page.getByLabel("Personal API token").fill("demo-personal-token");
  await page.getByTestId("wise-find").click();
  await expect(page.getByTestId("wise-profile")).toContainText("business");
  await expect(page.getByTestId("wise-profile")).toContainText("EUR, GBP, USD");
  await page.getByTestId("wise-connect").click();
  await expect(page.getByTestId("wise-status")).toHaveText("connected");

  await nav(page, "Mapping");
  await hydrated(page);
  for (const currency of ["EUR", "USD", "GBP"]) {
    await page.getByTestId(`map-${currency}`).selectOption({ label: `Wise ${currency} (${currency})` });
  }
  await page.getByTestId("fee-account").selectOption({ label: "Bank Charges" });
  await page.getByTestId("mapping-propose").click();
  await expect(page.getByTestId("pending-mapping")).toBeVisible();
  await page.getByTestId("mapping-test").click();
  await expect(page.getByTestId("test-batch").getByTestId("run-status")).toHaveText("succeeded", { timeout: 30_000 });
  await page.getByTestId("mapping-apply").click();
  await expect(page.getByTestId("active-mapping")).toContainText("Wise EUR");

  await nav(page, "Home");
  await hydrated(page);
  await page.getByTestId("sync-now").click();
  await expect(page.getByTestId("run-progress")).toBeVisible();
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 30_000 });
  await expect(page.getByTestId("sync-panel")).toContainText("Match rate");
  await page.screenshot({ path: "test-results/sync-done.png", fullPage: true });
});

test("a fault-injected sync fails with a readable reason and the next one succeeds", async ({ page, request }) => {
  const { wise } = demoInfo();
  await signIn(page, demoBookkeeper);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await hydrated(page);
  // As many failures as the Wise client makes attempts (4): this run fails, the next is clean.
  for (let i = 0; i < 4; i++) {
    const r = await request.post(`${wise}/__emulator/faults`, { data: { kind: "server_error" } });
    expect(r.status()).toBe(204);
  }
  await page.getByTestId("sync-now").click();
  await expect(page.getByTestId("run-error")).toContainText("Wise", { timeout: 30_000 });
  await page.screenshot({ path: "test-results/sync-failed.png", fullPage: true });
  await page.getByTestId("sync-now").click();
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 30_000 });
});
