import { defineConfig } from "@playwright/test";

// The journeys run against the site built by `cargo leptos build` (make e2e), served by the
// real binary with a fresh SQLite database, in Debian's chromium (never a downloaded browser).
const port = process.env.E2E_PORT ?? "3100";
const dataDir = "target/e2e";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1, // the journeys share one database and build on each other
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    headless: true,
    screenshot: "on",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
      ],
    },
  },
  projects: [
    { name: "chromium", testIgnore: /exceptions\.spec\.ts/ },
    // Needs the people journeys.spec.ts creates and the demo's first sync, so it runs last.
    { name: "queue", testMatch: /exceptions\.spec\.ts/, dependencies: ["chromium"] },
  ],
  webServer: {
    cwd: "..",
    command:
      `rm -rf ${dataDir} && mkdir -p ${dataDir} && ` +
      `RUST_LOG=warn DATABASE_URL=sqlite://${dataDir}/clearline.db CLEARLINE_SETUP_TOKEN_FILE=${dataDir}/setup-token CLEARLINE_SECRET_KEY_FILE=${dataDir}/secret.key CLEARLINE_DEMO_INFO_FILE=${dataDir}/demo.json ` +
      `LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=127.0.0.1:${port} ./target/debug/clearline serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
