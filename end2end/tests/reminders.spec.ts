import { test, expect } from "@playwright/test";
import { demoOwner, hydrated, nav, signIn } from "./helpers";

// The demo's bank feed was authorized 80 days ago: its 90-day consent ends in 10 days.
test("the owner narrows the renewal reminders and Home follows", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("home-user")).toBeVisible();
  const feedRow = page.getByTestId("health-row").filter({ hasText: "Bank feed" });
  await expect(page.getByTestId("alerts")).toContainText("Renew now");
  await expect(feedRow).toContainText("10 days left");
  await expect(feedRow.getByTestId("health-state")).toHaveClass(/warn/);

  const setReminders = async (days: string) => {
    await nav(page, "Settings");
    await hydrated(page);
    const field = page.getByLabel("Renewal reminders start (days before an authorization ends)");
    await field.fill(days);
    await page.getByRole("button", { name: "Save sync settings" }).click();
    await expect(page.getByText("Sync settings saved.")).toBeVisible();
  };

  await setReminders("7");
  await nav(page, "Home");
  await expect(page.getByTestId("home-user")).toBeVisible();
  await expect(feedRow).toContainText("Renews on");
  await expect(feedRow.getByTestId("health-state")).toHaveClass(/ok/);
  await expect(page.getByTestId("alerts")).toHaveCount(0);
  await expect(page.getByText("Reminders start 7 days before")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("home-reminders-7-days.png"), fullPage: true });

  // Out of range: refused with the reason, nothing changes.
  await nav(page, "Settings");
  await hydrated(page);
  await page.getByLabel("Renewal reminders start (days before an authorization ends)").fill("120");
  await page.getByLabel("Renewal reminders start (days before an authorization ends)").evaluate((el) =>
    (el as HTMLInputElement).removeAttribute("max"),
  );
  await page.getByRole("button", { name: "Save sync settings" }).click();
  await expect(page.getByText("between 1 and 90")).toBeVisible();

  // Back to the default for the journeys that follow.
  await setReminders("14");
  await nav(page, "Home");
  await expect(page.getByTestId("alerts")).toContainText("Renew now");
});
