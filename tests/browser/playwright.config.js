// Playwright Test against a running gestiona-local (tests/browser/run starts one and sets
// GESTIONA_URL). The browser is Debian's Chromium: Playwright's own download is not used.
const { readFileSync } = require("node:fs");
const { defineConfig } = require("@playwright/test");

// Debian's Chromium in a container: the flags every browser test shares (one per line).
const chromiumFlags = readFileSync(`${__dirname}/chromium-flags.txt`, "utf8").split("\n").filter(Boolean);

if (!process.env.GESTIONA_URL) {
  throw new Error("GESTIONA_URL is not set: run these tests through tests/browser/run");
}

module.exports = defineConfig({
  testDir: ".",
  testMatch: "*.spec.js",
  timeout: 30_000,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: process.env.GESTIONA_BROWSER_OUT || "test-results",
  use: {
    baseURL: process.env.GESTIONA_URL,
    locale: "es-CR",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: chromiumFlags,
    },
  },
});
