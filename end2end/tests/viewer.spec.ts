import { expect, test } from "@playwright/test";
import { demoOwner, hydrated, signIn } from "./helpers";

// A viewer sees the control room but can change nothing: no action forms, and the server
// refuses a change even when asked directly.
test.describe.configure({ mode: "serial" });

const viewer = { email: "vera@demo.clearline.test", name: "Vera Viewer", password: "viewing only please" };

test("the owner adds a viewer", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await page.goto("/settings");
  await hydrated(page);
  await page.locator("#add-email").fill(viewer.email);
  await page.locator("#add-name").fill(viewer.name);
  await page.locator("#add-role").selectOption("viewer");
  await page.locator("#add-password").fill(viewer.password);
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("status")).toHaveText("Member added.");
});

test("a viewer sees but cannot change", async ({ page }) => {
  await signIn(page, viewer);
  await expect(page.getByTestId("home-user")).toHaveText(viewer.name);
  await hydrated(page);
  await expect(page.getByTestId("sync-panel")).toBeVisible();
  await expect(page.getByTestId("sync-now")).toHaveCount(0);
  await page.goto("/exceptions");
  const rows = page.getByTestId("exceptions-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  await rows.first().getByRole("link").click();
  await expect(page.getByTestId("exception-title")).toBeVisible();
  await expect(page.locator("main form")).toHaveCount(0);
  await page.goto("/connections");
  await expect(page.getByTestId("qbo-card")).toBeVisible();
  await expect(page.getByRole("button", { name: "Disconnect" })).toHaveCount(0);
  await page.goto("/mapping");
  await expect(page.getByTestId("mapping-propose")).toHaveCount(0);
  await page.screenshot({ path: "test-results/viewer.png", fullPage: true });
  const refused = await page.request.post("/api/sync_now", { headers: { "content-type": "application/x-www-form-urlencoded" }, data: "" });
  expect(refused.status()).toBe(403);
});
