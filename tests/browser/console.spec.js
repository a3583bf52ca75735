// The staff console in a real browser: sign in, work a case, comment, take a step, meet a
// colleague's concurrent change, and use it in English and from the keyboard. Every screen
// is saved as a screenshot (GESTIONA_SCREENSHOTS).
const { test, expect } = require("@playwright/test");
const AxeBuilder = require("@axe-core/playwright").default;

const shots = process.env.GESTIONA_SCREENSHOTS || "screenshots";

// Every screen is saved as a screenshot and checked by axe-core against WCAG 2.1 A and AA:
// no serious or critical violation may remain.
async function screen(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(results.passes.length, `${name}: axe-core checked the page`).toBeGreaterThan(5);
  expect(serious, `${name}: accessibility violations`).toEqual([]);
}

async function signIn(page, who) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/app\/sign-in/);
  await screen(page, "sign-in");
  await page.getByRole("button", { name: who }).click();
  await expect(page.getByRole("navigation")).toBeVisible();
}

test("a supervisor works a case from the list", async ({ page }) => {
  await signIn(page, /Sofía Jiménez/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Mi trabajo");
  await expect(page.getByRole("heading", { name: "Mis casos" })).toBeVisible();
  await screen(page, "mi-trabajo");

  await page.getByRole("navigation").getByRole("link", { name: "Casos", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Casos");
  await screen(page, "casos");

  await page.getByRole("link", { name: /Lote de café/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Lote de café/);

  // An empty comment is refused on the page, in Spanish, and the page stays usable.
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByText("no puede estar vacío")).toBeVisible();
  await page.getByLabel("Agregar un comentario").fill("Llamé al cliente; envía fotos de los sacos.");
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByText("Llamé al cliente; envía fotos de los sacos.")).toBeVisible();

  await page.getByRole("button", { name: /En análisis/ }).click();
  await expect(page.locator("dl.fields .badge")).toHaveText("en_analisis");
  await expect(page.locator("ol.timeline li", { hasText: "transitioned" }).first()).toBeVisible();
  await screen(page, "caso");
});

test("two people on one case: the slower one sees the conflict, not a lost change", async ({ browser }) => {
  const first = await browser.newContext();
  const second = await browser.newContext();
  const [a, b] = [await first.newPage(), await second.newPage()];
  await signIn(a, /Sofía Jiménez/);
  await signIn(b, /Administración/);
  await a.getByRole("navigation").getByRole("link", { name: "Casos", exact: true }).click();
  await a.getByRole("link", { name: /Camión placa/ }).click();
  await b.goto(a.url());
  const step = (page) => page.locator("section.action button[type=submit]").first();
  await step(a).click();
  await expect(a.locator("p.notice")).toHaveCount(0);
  await step(b).click();
  await expect(b.getByRole("alert")).toContainText("Alguien cambió este caso");
  await screen(b, "conflicto");
  await first.close();
  await second.close();
});

test("in English for an English speaker, and from the keyboard", async ({ page }) => {
  await signIn(page, /Carlos Smith/);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My work");

  // The first Tab reaches the skip link, which moves past the navigation.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  // Then the navigation, in order; Enter follows a link.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("navigation").getByRole("link", { name: "Cases" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cases");
  await screen(page, "cases-en");

  // Signing out ends the session: the console asks to sign in again.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/app\/sign-in/);
  await page.goto("/app/cases");
  await expect(page).toHaveURL(/\/app\/sign-in\?next=%2Fapp%2Fcases/);
});

test("'/' focuses the search on every page; a case and an account are found by a word", async ({ page }) => {
  await signIn(page, /Ana Rodríguez/);
  await page.getByRole("navigation").getByRole("link", { name: "Cuentas" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cuentas");
  await screen(page, "cuentas");
  await page.keyboard.press("/");
  await expect(page.getByLabel("Buscar cuentas, contactos, casos y prospectos")).toBeFocused();
  // Accents and case aside, the start of a word: "humed" finds the case about damp sacks.
  await page.keyboard.type("HUMED");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Resultados de «HUMED»");
  await screen(page, "busqueda");
  await page.getByRole("link", { name: /Lote de café 2026-41/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Lote de café/);

  await page.keyboard.press("/");
  await page.keyboard.type("cafe ñandu");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("link", { name: "Transportes Rápidos S.A." })).toHaveCount(0);
  await page.getByRole("link", { name: "Café Ñandú Ltda." }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Café Ñandú Ltda.");
  await expect(page.getByRole("heading", { name: "Contactos" })).toBeVisible();
  await screen(page, "cuenta");
  await page.getByRole("navigation").getByRole("link", { name: "Contactos" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Contactos");
  await screen(page, "contactos");
});

test("a held web-form post is released, then converted into account, contact and opportunity", async ({ page }) => {
  // A post without the form page's signed token, as a script would send it: held for review.
  const name = `Marco Solís ${Date.now()}`;
  const posted = await page.request.post("/f/demo/contacto", {
    form: { nombre: name, email: `marco.${Date.now()}@taller.example`, empresa: "Taller Solís" },
    maxRedirects: 0,
  });
  expect(posted.status()).toBeLessThan(400);

  await signIn(page, /Sofía Jiménez/);
  await page.getByRole("navigation").getByRole("link", { name: "Prospectos" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Prospectos");
  await screen(page, "prospectos");
  await page.getByRole("link", { name: "Retenidos para revisión" }).click();
  const held = page.locator("section.card", { hasText: name });
  await expect(held).toContainText("enviado sin el token");
  await screen(page, "prospectos-revision");
  await held.getByRole("button", { name: "Liberar" }).click();
  await expect(page.locator("section.card", { hasText: name })).toHaveCount(0);

  await page.getByRole("link", { name: "Prospectos", exact: true }).first().click();
  await page.getByRole("link", { name: "Todos" }).click();
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await screen(page, "prospecto");
  await expect(page.getByLabel("Nombre de la cuenta")).toHaveValue("Taller Solís");
  await page.getByLabel("Oportunidad (opcional)").fill("Flota 2027");
  await page.getByLabel("Monto").fill("1.250.000,50");
  await page.getByLabel("Monto").press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Taller Solís");
  await expect(page.getByText(name)).toBeVisible();
});
