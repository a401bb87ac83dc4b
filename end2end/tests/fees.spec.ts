import { expect, test } from "@playwright/test";
import { demoBookkeeper, demoOwner, hydrated, signIn } from "./helpers";

// Verify-then-post: Clearline drafts the Bank Charges Purchase for an unbooked Wise fee; a
// bookkeeper sees it but only an owner approves; approval writes it once and resolves the break.
test.describe.configure({ mode: "serial" });

async function firstUnbookedFee(page: import("@playwright/test").Page) {
  await page.goto("/exceptions?kind=unbooked_fee");
  const rows = page.getByTestId("exceptions-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  await rows.first().getByRole("link").click();
  await expect(page.getByTestId("book-fee")).toBeVisible();
  await hydrated(page);
}

test("a bookkeeper sees the drafted fee but cannot approve it", async ({ page }) => {
  await signIn(page, demoBookkeeper);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await firstUnbookedFee(page);
  await expect(page.getByTestId("book-fee")).toContainText("Bank Charges");
  await expect(page.getByTestId("fee-approve")).toHaveCount(0);
  await expect(page.getByTestId("book-fee")).toContainText("An owner approves");
});

test("the owner approves booking a fee and the exception resolves", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await firstUnbookedFee(page);
  const url = page.url();
  await page.getByTestId("fee-approve").click();
  await expect(page.getByTestId("fee-qbo-id")).toContainText("Purchase:");
  await expect(page.getByTestId("exception-status")).toContainText("Resolved");
  await page.screenshot({ path: "test-results/fee-booked.png", fullPage: true });
  await page.goto(url);
  await expect(page.getByTestId("fee-approve")).toHaveCount(0);
});
