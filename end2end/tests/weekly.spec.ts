import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { demoBookkeeper, demoInfo, demoOwner, hydrated, signIn } from "./helpers";

// The weekly control run of the demo organization: the bookkeeper prepares it, the owner signs
// it off (justifying the failing automatic checks), a late posting in QuickBooks picked up by
// "Sync now" withdraws the sign-off and Home flags it; and an owner who prepared a run
// herself cannot sign it.
test.describe.configure({ mode: "serial" });

const lanes = [
  "access_health",
  "reconciliation",
  "exceptions",
  "collections",
  "support_risk",
  "wise_reauthorization",
];

async function openWeekly(page: Page) {
  // A full load: a navigation click while Home's suspended parts are still hydrating races
  // the hydration (Leptos panics on the half-replaced DOM).
  await page.goto("/weekly");
  await hydrated(page);
  await expect(page.getByTestId("weekly-run")).toBeVisible();
}

/// Marks every lane done with a note, then hands the run over for sign-off.
async function prepare(page: Page) {
  for (const lane of lanes) {
    const item = page.locator(`li[data-lane="${lane}"]`);
    await item.getByLabel("Done", { exact: true }).check();
    await item.getByLabel("Note", { exact: true }).fill(`Reviewed ${lane.replace("_", " ")}; see the evidence.`);
    await item.getByTestId(`save-${lane}`).click();
    await expect(page.getByTestId(`item-state-${lane}`)).toContainText("Done by");
  }
  await page.getByTestId("weekly-ready").click();
  await expect(page.getByTestId("weekly-status")).toHaveText("Ready for sign-off");
}

test("the bookkeeper prepares the weekly control run", async ({ page }) => {
  await signIn(page, demoBookkeeper);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await openWeekly(page);
  await expect(page.getByTestId("weekly-status")).toHaveText("Being prepared");
  // Evidence the system knows: the bank-feed renewal is ten days away in the demo.
  await expect(page.locator('li[data-lane="wise_reauthorization"]')).toContainText("Days to Wise bank-feed renewal");
  await expect(page.getByTestId("check-wise_reauthorization")).toContainText("Fail");
  await expect(page.locator('li[data-lane="exceptions"]')).toContainText("Unassigned active exceptions");
  await prepare(page);
  // A bookkeeper cannot sign.
  await expect(page.getByTestId("weekly-sign")).toHaveCount(0);
  await page.screenshot({ path: "test-results/weekly-prepared.png", fullPage: true });
});

test("the owner signs off, justifying the failing checks, and the run locks", async ({ page }) => {
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await openWeekly(page);
  await expect(page.getByTestId("weekly-status")).toHaveText("Ready for sign-off");
  await expect(page.getByTestId("failing-checks")).toContainText("Wise re-authorization");
  await page.getByTestId("weekly-sign").click();
  await expect(page.getByRole("alert").filter({ hasText: "justification" })).toBeVisible();
  await page
    .getByLabel("Justification (required when an automatic check fails)")
    .fill("Renewal booked for Thursday; next actions are being added to the exception queue.");
  await page.getByTestId("weekly-sign").click();
  await expect(page.getByTestId("weekly-status")).toHaveText("Signed off");
  await expect(page.getByText("Signed off by Olivia Owner")).toBeVisible();
  // Locked: no lane can be changed any more.
  await expect(page.locator("[data-testid^=save-]")).toHaveCount(0);
  await page.screenshot({ path: "test-results/weekly-signed.png", fullPage: true });

  await page.getByTestId("weekly-print").click();
  await expect(page.getByTestId("report-status")).toHaveText("Signed off");
  await expect(page.getByTestId("weekly-report")).toContainText("Renewal booked for Thursday");
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: "test-results/weekly-report-print.png", fullPage: true });
});

/// An access token for the demo's QuickBooks emulator, through its OAuth flow.
async function qboToken(request: APIRequestContext, qbo: string): Promise<{ token: string; realm: string }> {
  const redirect = "http://127.0.0.1/e2e-callback";
  const authorize = await request.get(`${qbo}/connect/oauth2`, {
    params: { client_id: "emulator-client", redirect_uri: redirect, response_type: "code", state: "e2e", scope: "com.intuit.quickbooks.accounting" },
    maxRedirects: 0,
  });
  expect(authorize.status()).toBeGreaterThanOrEqual(300);
  const back = new URL(authorize.headers()["location"]);
  const res = await request.post(`${qbo}/oauth2/v1/tokens/bearer`, {
    form: { grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: redirect },
    headers: { Authorization: "Basic " + Buffer.from("emulator-client:emulator-secret").toString("base64") },
  });
  expect(res.ok()).toBeTruthy();
  return { token: (await res.json()).access_token, realm: back.searchParams.get("realmId")! };
}

async function accountId(request: APIRequestContext, base: string, auth: Record<string, string>, name: string) {
  const res = await request.get(`${base}/query`, {
    params: { query: `select * from Account where Name = '${name}'` },
    headers: auth,
  });
  expect(res.ok()).toBeTruthy();
  return (await res.json()).QueryResponse.Account[0].Id as string;
}

test("a late posting picked up by Sync now withdraws the sign-off and Home flags it", async ({ page, request }) => {
  // Someone books a purchase in QuickBooks on the signed week's bank account, without a Wise line.
  const { qbo } = demoInfo();
  const { token, realm } = await qboToken(request, qbo);
  const base = `${qbo}/v3/company/${realm}`;
  const auth = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const eur = await accountId(request, base, auth, "Wise EUR");
  const software = await accountId(request, base, auth, "Software & Subscriptions");
  const today = new Date().toISOString().slice(0, 10);
  const posted = await request.post(`${base}/purchase`, {
    headers: { ...auth, "Content-Type": "application/json" },
    data: {
      PaymentType: "Cash",
      AccountRef: { value: eur },
      TxnDate: today,
      PrivateNote: "Booked by hand after the sign-off",
      Line: [{ DetailType: "AccountBasedExpenseLineDetail", Amount: 12.34, AccountBasedExpenseLineDetail: { AccountRef: { value: software } } }],
    },
  });
  expect(posted.ok()).toBeTruthy();

  await signIn(page, demoBookkeeper);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await hydrated(page);
  await expect(page.getByTestId("weekly-home-status")).toHaveText("Signed off");
  await page.getByTestId("sync-now").click();
  // The sync rechecks every signed run when it finishes; Home shows it on the next load.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("weekly-home-status")).toHaveText("Sign-off withdrawn", { timeout: 1_000 });
  }).toPass({ timeout: 45_000 });
  await hydrated(page);
  await expect(page.getByTestId("run-status")).toHaveText("succeeded");
  await expect(page.getByTestId("weekly-alerts")).toContainText("Sign-off withdrawn for");
  await expect(page.getByTestId("weekly-alerts")).toContainText("missing_in_bank");
  await page.screenshot({ path: "test-results/weekly-withdrawn-home.png", fullPage: true });

  await openWeekly(page);
  await expect(page.getByTestId("weekly-status")).toHaveText("Sign-off withdrawn");
  await expect(page.getByTestId("withdrawn-reason")).toContainText("changed after the sign-off");
  await page.screenshot({ path: "test-results/weekly-withdrawn.png", fullPage: true });
});

test("an owner cannot sign off a run she prepared herself", async ({ page }) => {
  const studio = "Solo Weekly Studio";
  await signIn(page, demoOwner);
  await expect(page.getByTestId("org-name")).toContainText("Demo Studio");
  await page.goto("/settings");
  await hydrated(page);
  await page.locator("#org-name").fill(studio);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page.locator("#switch-org")).toContainText(studio);
  await page.locator("#switch-org").selectOption({ label: studio });
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByTestId("org-name")).toHaveText(studio);

  await openWeekly(page);
  await prepare(page);
  await expect(page.getByTestId("sign-off")).toContainText("You prepared this run");
  await page
    .getByLabel("Justification (required when an automatic check fails)")
    .fill("Nothing connected yet; I checked everything myself.");
  await page.getByTestId("weekly-sign").click();
  await expect(page.getByRole("alert").filter({ hasText: "maker-checker" })).toBeVisible();
  await expect(page.getByTestId("weekly-status")).toHaveText("Ready for sign-off");
  await page.screenshot({ path: "test-results/weekly-self-sign-refused.png", fullPage: true });
});
