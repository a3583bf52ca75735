// Lighthouse (npm, 12.x) on the console's case list and a case page, in Debian's Chromium,
// signed in as the demo supervisor: accessibility must score at least 95 and performance at
// least 90 (Lighthouse's default mobile emulation and throttling). Run by tests/browser/run
// against the gestiona-local it started (GESTIONA_URL); the reports go to GESTIONA_LIGHTHOUSE.
// Each page is measured three times and judged on the median run, as Lighthouse's own guidance
// on variability advises: one run on a busy two-core machine can lose a few points to noise.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import lighthouse from "lighthouse";
import { computeMedianRun } from "lighthouse/core/lib/median-run.js";
import * as chromeLauncher from "chrome-launcher";

const base = process.env.GESTIONA_URL;
if (!base) throw new Error("GESTIONA_URL is not set: run this through tests/browser/run");
const reports = process.env.GESTIONA_LIGHTHOUSE || "lighthouse";
const budgets = { accessibility: 95, performance: 90 };
const runs = 3;

// A session of the local runner's demo supervisor, as the sign-in page would start it.
const signedIn = await fetch(`${base}/app/sign-in`, {
  method: "POST",
  body: new URLSearchParams({ user: "sofia", next: "/app/cases" }),
  redirect: "manual",
});
const cookie = (signedIn.headers.get("set-cookie") || "").split(";")[0];
if (!cookie.startsWith("gestiona_session=")) throw new Error(`sign-in failed: ${signedIn.status}`);
const list = await (await fetch(`${base}/app/cases`, { headers: { cookie } })).text();
const caseId = (list.match(/href="\/app\/cases\/([0-9A-Z]{26})"/) || [])[1];
if (!caseId) throw new Error("the case list shows no case");

const chrome = await chromeLauncher.launch({
  chromePath: "/usr/bin/chromium",
  chromeFlags: [
    "--headless=new",
    ...readFileSync(new URL("chromium-flags.txt", import.meta.url), "utf8").split("\n").filter(Boolean),
  ],
});
mkdirSync(reports, { recursive: true });
const failures = [];
try {
  for (const [name, path] of [["case-list", "/app/cases"], ["case-page", `/app/cases/${caseId}`]]) {
    const results = [];
    for (let run = 0; run < runs; run++) {
      results.push(
        await lighthouse(`${base}${path}`, {
          port: chrome.port,
          output: "html",
          logLevel: "error",
          onlyCategories: Object.keys(budgets),
          extraHeaders: { Cookie: cookie },
        }),
      );
    }
    const median = computeMedianRun(results.map((each) => each.lhr));
    const result = results.find((each) => each.lhr === median);
    const metric = (id) => Math.round(result.lhr.audits[id].numericValue);
    console.log(
      `lighthouse: ${name} median of ${runs}: first contentful paint ${metric("first-contentful-paint")} ms, ` +
        `largest ${metric("largest-contentful-paint")} ms, total blocking ${metric("total-blocking-time")} ms`,
    );
    writeFileSync(`${reports}/${name}.html`, result.report);
    for (const [category, minimum] of Object.entries(budgets)) {
      const score = Math.round((result.lhr.categories[category].score ?? 0) * 100);
      console.log(`lighthouse: ${name} ${category} ${score} (budget ≥ ${minimum})`);
      if (score < minimum) {
        const failing = result.lhr.categories[category].auditRefs
          .filter((ref) => ref.weight > 0 && (result.lhr.audits[ref.id].score ?? 1) < 1)
          .map((ref) => {
            const items = result.lhr.audits[ref.id].details?.items ?? [];
            const where = items.map((item) => item.node?.selector).filter(Boolean).slice(0, 3);
            return where.length > 0 ? `${ref.id} at ${where.join(" | ")}` : ref.id;
          });
        failures.push(`${name} ${category} ${score} < ${minimum} (${failing.join(", ")})`);
      }
    }
  }
} finally {
  await chrome.kill();
}
if (failures.length > 0) {
  console.error(`lighthouse: below budget: ${failures.join("; ")}`);
  process.exit(1);
}
