import { expect, test } from "@playwright/test";
import { hydrated, nav, setupToken, signIn } from "./helpers";

// One story, in order: the first owner sets Clearline up, adds a bookkeeper, and each of
// them meets the rules that keep the books under control.
test.describe.configure({ mode: "serial" });

const owner = { email: "ann@studio.example", name: "Ann Owner", password: "correct horse battery" };
const bookkeeper = { email: "bob@books.example", name: "Bob Books", password: "bookkeeping is fun" };
const org = "Studio Nord";

test("first-run setup creates the owner", async ({ page }) => {
  await page.goto(`/setup?token=${setupToken()}`);
  await hydrated(page);
  await page.getByLabel("Organization").fill(org);
  await page.getByLabel("Your name").fill(owner.name);
  await page.getByLabel("E-mail").fill(owner.email);
  await page.getByLabel("Password (at least 12 characters)").fill(owner.password);
  await page.getByLabel("Password again").fill(owner.password);
  await page.getByRole("button", { name: "Create organization and owner" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("home-org")).toHaveText(org);
  await expect(page.getByTestId("home-user")).toHaveText(owner.name);
});

test("a used setup link is refused clearly", async ({ page }) => {
  await page.goto(`/setup?token=${setupToken()}`);
  await expect(page.getByRole("alert")).toContainText("not valid or was already used");
});

test("a wrong password shows a clear error", async ({ page }) => {
  await signIn(page, { email: owner.email, password: "not the password" });
  await expect(page.getByRole("alert")).toHaveText("Wrong e-mail or password.");
  await expect(page).toHaveURL(/\/login$/);
});

test("the owner signs in and adds a bookkeeper", async ({ page }) => {
  await signIn(page, owner);
  await expect(page.getByTestId("home-org")).toHaveText(org);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await hydrated(page);
  await page.locator("#add-email").fill(bookkeeper.email);
  await page.locator("#add-name").fill(bookkeeper.name);
  await page.locator("#add-role").selectOption("bookkeeper");
  await page.locator("#add-password").fill(bookkeeper.password);
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("status")).toHaveText("Member added.");
  const row = page.locator(`tr[data-email="${bookkeeper.email}"]`);
  await expect(row).toContainText(bookkeeper.name);
  await expect(row.locator("select")).toHaveValue("bookkeeper");
});

test("the bookkeeper signs in and cannot open Settings", async ({ page }) => {
  await signIn(page, bookkeeper);
  await expect(page.getByTestId("home-user")).toHaveText(bookkeeper.name);
  await expect(page.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await page.goto("/settings");
  await expect(page.getByTestId("settings-forbidden")).toBeVisible();
  await expect(page.getByText(owner.email)).toHaveCount(0);
});

test("the owner documents the bank feed and sees its renewal countdown", async ({ page }) => {
  await signIn(page, owner);
  await expect(page.getByTestId("home-org")).toHaveText(org);
  await nav(page, "Connections");
  const feed = page.locator('section[data-path="bank_feed"]');
  await expect(feed).toBeVisible();
  await hydrated(page);
  await feed.getByText("Edit").click();
  const authorized = new Date(Date.now() - 80 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await feed.getByLabel("Authorized on").fill(authorized);
  await feed.getByLabel("Test status").selectOption("passed");
  await feed.getByLabel("Owner").selectOption({ label: owner.name });
  await feed.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await expect(page.getByTestId("bank_feed-renewal")).toContainText("Renew now");
  await expect(feed).toContainText("Test passed");
  await page.getByRole("link", { name: "Home" }).click();
  await expect(page.getByTestId("alerts")).toContainText("Renew now");
});

test("signing out ends the session and the back button shows nothing private", async ({ page }) => {
  await signIn(page, owner);
  await expect(page.getByTestId("home-org")).toHaveText(org);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText(org)).toHaveCount(0);
  await expect(page.getByText(owner.name)).toHaveCount(0);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login$/);
});
