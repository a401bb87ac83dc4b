import { expect, test } from "@playwright/test";
import { demoOwner, hydrated, nav, signIn } from "./helpers";

// The demo owner opens Preflight: the demo organization has both connections live, QuickBooks
// multicurrency on, every Wise balance mapped and its three owners named, so every automatic
// check passes and the owner signs "go". Then, on the Known vs Unknown matrix, the owner
// attaches the posting cadence Clearline observed in the last sync as the Cadence row's evidence,
// and starts the pilot: a frozen window, one traced sample, the go-live gates (at phone width).
test("the owner signs the go / no-go checkpoint and attaches the observed cadence as evidence", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  // A click before the wasm takes over can be lost to the hydrating router.
  await hydrated(page);

  await nav(page, "Preflight");
  await hydrated(page);
  const checks = page.getByTestId("auto-checks");
  await expect(checks.locator("li")).toHaveCount(5);
  for (const key of ["qbo_connected", "wise_connected", "multicurrency", "balances_mapped", "owners_named"]) {
    await expect(checks.locator(`li[data-key="${key}"]`)).toHaveAttribute("data-passed", "true");
  }
  await expect(page.getByTestId("checks-summary")).toHaveText("5 of 5 pass.");
  await expect(checks).toContainText("EUR, GBP, USD mapped");
  await expect(checks).toContainText("exceptions owner: Ben Bookkeeper");
  await expect(page.getByTestId("sign-blocked")).toHaveCount(0);
  await expect(page.getByTestId("checkpoints-empty")).toBeVisible();

  await page.getByLabel("Go", { exact: true }).check();
  await page.getByLabel("Note (what the team confirmed, or why not yet)").fill("Connections live, balances mapped, owners named.");
  await page.getByTestId("sign").click();
  const history = page.getByTestId("checkpoints");
  await expect(history.locator('tr[data-decision="go"]')).toHaveCount(1);
  await expect(history).toContainText("Olivia Owner");
  await expect(history).toContainText("5 of 5 automatic checks passed");
  await expect(history).toContainText("Connections live, balances mapped, owners named.");
  await page.screenshot({ path: "test-results/playbook-preflight.png", fullPage: true });

  await nav(page, "Known vs Unknown");
  await hydrated(page);
  await expect(page.getByTestId("matrix-summary")).toContainText("of 5 verified");
  const cadence = page.getByTestId("matrix-cadence");
  await expect(cadence).toContainText("Trigger-to-post timing in your environment");
  await expect(cadence.getByTestId("measurement")).toHaveCount(0);
  await cadence.getByRole("button", { name: "Attach observed cadence" }).click();
  const measured = cadence.getByTestId("measurement");
  await expect(measured).toContainText("Bank feed: median");
  await expect(measured).toContainText("matched pairs");
  await expect(measured).toContainText("Rule: near real time when 95 %");
  await page.screenshot({ path: "test-results/playbook-matrix.png", fullPage: true });

  await nav(page, "Pilot");
  await hydrated(page);
  await page.getByTestId("freeze").click();
  await expect(page.getByTestId("pilot-window")).toContainText("frozen");
  await expect(page.getByTestId("gates").locator("li")).toHaveCount(3);
  const candidates = page.getByTestId("candidates");
  await candidates.getByRole("button", { name: /^Add / }).first().click();
  const samples = page.getByTestId("samples");
  await expect(samples.locator("tbody tr")).toHaveCount(1);
  await expect(samples).toContainText("Bank line (expected)");
  await expect(page.getByTestId("gates").locator('li[data-key="fallback_tested"]')).toHaveAttribute("data-passed", "false");
  await expect(page.getByTestId("promote")).toBeDisabled();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "test-results/playbook-pilot-phone.png", fullPage: true });
});
