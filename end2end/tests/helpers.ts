import { Page } from "@playwright/test";
import { readFileSync } from "fs";
import { join } from "path";

const dataDir = join(__dirname, "..", "..", "target", "e2e");

export function setupToken(): string {
  return readFileSync(join(dataDir, "setup-token"), "utf8").trim();
}

/// Where the server's built-in emulators listen (written by the server at start).
export function demoInfo(): { wise: string; qbo: string } {
  return JSON.parse(readFileSync(join(dataDir, "demo.json"), "utf8"));
}

export async function hydrated(page: Page) {
  await page.locator("body[data-hydrated]").waitFor();
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export const demoOwner = { email: "owner@demo.clearline.test", password: "demo-owner-password" };
export const demoBookkeeper = { email: "bookkeeper@demo.clearline.test", password: "demo-bookkeeper-password" };

/// Follows a link of the side navigation.
export async function nav(page: Page, name: string) {
  await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name }).click();
}
