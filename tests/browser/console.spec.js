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
  await expect(page.getByRole("heading", { name: "Esperan mi acción" })).toBeVisible();
  await screen(page, "mi-trabajo");

  await page.getByRole("navigation").getByRole("link", { name: "Casos", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Casos");
  await screen(page, "casos");

  await page.getByRole("link", { name: /Lote de café/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Lote de café/);

  // An empty comment is refused on the page, in Spanish, and the page stays usable.
  const comments = () => page.getByRole("region", { name: "Actividad" });
  await comments().getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByText("no puede estar vacío")).toBeVisible();
  await page.getByLabel("Agregar un comentario").fill("Llamé al cliente; envía fotos de los sacos.");
  await comments().getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByText("Llamé al cliente; envía fotos de los sacos.")).toBeVisible();

  await page.getByRole("button", { name: /En análisis/ }).click();
  await expect(page.locator("dl.fields .badge")).toHaveText("En análisis");
  await expect(page.locator("ol.timeline li", { hasText: "de «Registrada» a «En análisis»" }).first()).toBeVisible();
  await screen(page, "caso");

  // "Procede" needs the batch number: the step asks for it, and refuses to go on without it.
  const proceeds = page.getByRole("region", { name: "Diagnosticar" }).locator("form", { hasText: "Procede" });
  const batch = proceeds.getByLabel("Lote");
  await expect(batch).toHaveAttribute("required", "");
  await proceeds.getByRole("button", { name: /Procede/ }).click();
  await expect(page.locator("dl.fields .badge")).toHaveText("En análisis");
  await batch.fill("2026-41");
  await proceeds.getByRole("button", { name: /Procede/ }).click();
  await expect(page.locator("dl.fields .badge")).toHaveText("En solución");
  await expect(page.locator("dl.fields")).toContainText("2026-41");

  // The time limits, explained: each clock, how much business time it counted, which calendar.
  const clocks = page.getByRole("region", { name: "Plazos" });
  await expect(clocks).toContainText("Primera respuesta");
  await expect(clocks).toContainText("hábiles contados");
  await expect(clocks).toContainText("calendario");
  await clocks.scrollIntoViewIfNeeded();
  await screen(page, "caso-plazos");
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

  // Both edit the mileage; the first save wins, the second is shown what changed.
  const data = (page) => page.getByRole("form", { name: "Datos del caso" });
  await data(a).getByLabel("Kilometraje").fill("184500");
  await data(a).getByRole("button", { name: "Guardar" }).click();
  await expect(a.locator("section.conflict")).toHaveCount(0);
  await expect(a.locator("dl.fields")).toContainText("184500");
  await data(b).getByLabel("Kilometraje").fill("190000");
  await data(b).getByRole("button", { name: "Guardar" }).click();
  const conflict = b.locator("section.conflict");
  await expect(conflict).toContainText("Otra persona guardó este caso");
  await expect(conflict.getByRole("row", { name: /Kilometraje/ })).toContainText("184500");
  await expect(conflict.getByRole("row", { name: /Kilometraje/ })).toContainText("190000");
  await expect(b.locator("dl.fields")).toContainText("184500");
  await screen(b, "conflicto");

  // A step taken from a page that is out of date is refused the same way.
  const step = (page) => page.locator("section.action button[type=submit]").first();
  await b.reload();
  await step(a).click();
  await step(b).click();
  await expect(b.getByRole("alert")).toContainText("Alguien cambió este caso");
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
  await expect(page.getByRole("navigation").getByRole("link", { name: "Cases", exact: true })).toBeFocused();
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
  // The navigation counts the cases waiting for her once the page is there, in words for a screen reader.
  const work = page.getByRole("navigation").getByRole("link", { name: /Mi trabajo/ });
  await expect(work).toContainText(/\d/);
  await expect(work).toHaveAccessibleName(/casos esperan su acción/);
  await screen(page, "mi-trabajo-ana");
  await page.getByRole("navigation").getByRole("link", { name: "Cuentas" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cuentas");
  await screen(page, "cuentas");
  await page.keyboard.press("/");
  await expect(page.getByLabel("Buscar cuentas, contactos, casos, prospectos y facturas")).toBeFocused();
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
  // An invoice by a part of its number opens on Cartera.
  await page.keyboard.press("/");
  await page.keyboard.type("0357");
  await page.keyboard.press("Enter");
  await page.getByRole("link", { name: "FAC-2026-0357" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Factura FAC-2026-0357");
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

  // Each web form's snippet embeds its page in another site.
  await page.getByRole("link", { name: "Formularios web" }).click();
  const snippet = await page.getByLabel("Fragmento para incrustarlo en su sitio").first().inputValue();
  expect(snippet).toContain("/f/demo/contacto");
  await screen(page, "formularios-web");
  const site = await page.context().newPage();
  await site.setContent(`<html lang="es"><body><h1>Taller Solís</h1>${snippet}</body></html>`);
  await expect(site.frameLocator("iframe").getByRole("button")).toBeVisible();
  await site.close();
  await page.getByRole("navigation", { name: "Prospectos" }).getByRole("link", { name: "Prospectos", exact: true }).click();
  await page.getByRole("link", { name: "Retenidos para revisión" }).click();
  const held = page.locator("section.card", { hasText: name });
  await expect(held).toContainText("enviado sin el token");
  await screen(page, "prospectos-revision");
  await held.getByRole("button", { name: "Liberar" }).click();
  await expect(page.locator("section.card", { hasText: name })).toHaveCount(0);

  await page.getByRole("navigation").getByRole("link", { name: /^Prospectos/ }).click();
  await page.getByRole("link", { name: "Todos" }).click();
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await screen(page, "prospecto");
  await expect(page.getByLabel("Nombre de la cuenta")).toHaveValue("Taller Solís");
  await page.getByLabel("Oportunidad (opcional)").fill("Flota 2027");
  await page.getByLabel("Monto").fill("1.250.000,50");
  await page.getByLabel("Monto").press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Taller Solís");
  // The customer file names the new contact, and the lead it came from with its opportunity.
  await expect(page.getByText(name).first()).toBeVisible();
  const leads = page.getByRole("table", { name: "Prospectos convertidos" });
  await expect(leads.getByRole("link", { name })).toBeVisible();
  await expect(leads).toContainText("Con oportunidad");
  await screen(page, "cuenta-convertida");
});

test("a supervisor filters the cases, saves the view, reopens it, exports it and reassigns in bulk", async ({ page }) => {
  await signIn(page, /Sofía Jiménez/);
  await page.getByRole("navigation").getByRole("link", { name: "Casos", exact: true }).click();
  const rows = page.locator("#case-rows tbody tr");
  const everything = await rows.count();
  expect(everything).toBeGreaterThan(1);

  await page.locator("summary", { hasText: "Filtros" }).click();
  await page.getByLabel("Prioridad").selectOption({ label: "Urgente" });
  await page.getByRole("button", { name: "Filtrar" }).click();
  await expect(rows).toHaveCount(1);
  await page.getByLabel("Nombre de la vista").fill("Urgentes del equipo");
  await page.getByLabel("Compartir con toda la empresa").check();
  await page.getByRole("button", { name: "Guardar estos filtros como vista" }).click();

  // Reopened from its tab, the view is the same filtered list.
  await page.getByRole("link", { name: "Todos los casos" }).click();
  await expect(rows).toHaveCount(everything);
  await page.getByRole("navigation", { name: "Vistas" }).getByRole("link", { name: /Urgentes del equipo/ }).click();
  await expect(rows).toHaveCount(1);
  await expect(page.getByLabel("Prioridad")).toHaveValue("urgent");
  await screen(page, "casos-vista");

  // The export is the view's cases, as a spreadsheet-safe CSV.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Exportar estos casos (CSV)" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("casos.csv");
  const csv = require("fs").readFileSync(await download.path(), "utf8");
  expect(csv.trim().split("\n")).toHaveLength(2);
  expect(csv).toContain("Lote de café 2026-41 con humedad");

  // Bulk: pick the row, choose who gets it, and read what happened to it.
  await page.getByLabel(/Seleccionar «Lote de café/).check();
  await page.getByLabel("Reasignar a").selectOption({ label: "Carlos Smith" });
  await page.getByRole("button", { name: "Reasignar", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Reasignado a carlos");
  await expect(rows.first()).toContainText("carlos");
  await screen(page, "casos-masivo");

  // Nearest deadline first: every case still listed, those with a running clock leading, each
  // showing when it falls due (the cell after the subject).
  await page.getByRole("link", { name: "Todos los casos" }).click();
  await page.locator("summary", { hasText: "Filtros" }).click();
  await page.getByLabel("Orden").selectOption({ label: "Vencimiento más próximo primero" });
  await page.getByRole("button", { name: "Filtrar" }).click();
  await expect(page).toHaveURL(/sort=due/);
  await expect(rows).toHaveCount(everything);
  await expect(page.getByRole("columnheader", { name: "Vence" })).toBeVisible();
  await expect(rows.first().locator("td").nth(2)).toContainText(/\d/);
  await screen(page, "casos-vencimiento");
});

test("a letter is generated from the case page and downloaded as a PDF", async ({ page }) => {
  await signIn(page, /Sofía Jiménez/);
  await page.getByRole("navigation").getByRole("link", { name: "Casos", exact: true }).click();
  await page.getByRole("link", { name: /Lote de café/ }).click();
  const documents = page.getByRole("region", { name: "Documentos" });
  await expect(documents).toContainText("Todavía no hay documentos");
  await documents.getByRole("link", { name: "Carta", exact: true }).click();
  await page.getByLabel("Texto de la carta").fill("Estimados señores:\n\nRecibimos su reclamo por el lote 2026-41 y lo estamos atendiendo.");
  await page.getByRole("button", { name: "Generar" }).click();
  // The section refreshes itself while the document is being prepared.
  await expect(documents.getByText("Listo", { exact: true })).toBeVisible({ timeout: 30000 });
  await screen(page, "caso-documentos");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    documents.getByRole("link", { name: /^Descargar Carta/ }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^Carta.*\.pdf$/);
  const bytes = require("fs").readFileSync(await download.path());
  expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
});

test("files are uploaded from the case page: straight to the bucket with the script, through the form without it", async ({ page, browser }) => {
  await signIn(page, /Sofía Jiménez/);
  await page.getByRole("navigation").getByRole("link", { name: "Casos", exact: true }).click();
  await page.getByRole("link", { name: /Crédito de consumo/ }).click();
  const documents = page.getByRole("region", { name: "Documentos" });
  const upload = documents.getByRole("form", { name: "Subir un archivo" });
  const acta = Buffer.from("%PDF-1.4 acta de visita firmada por el cliente");
  await upload.getByLabel("Archivo", { exact: true }).setInputFiles({ name: "acta de visita.pdf", mimeType: "application/pdf", buffer: acta });
  await upload.getByRole("button", { name: "Subir", exact: true }).click();
  await expect(documents.getByRole("link", { name: "Descargar acta de visita.pdf" })).toBeVisible();
  await expect(page.locator("#documents-heading"), "the focus goes to the refreshed section").toBeFocused();
  await screen(page, "caso-archivo-subido");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    documents.getByRole("link", { name: "Descargar acta de visita.pdf" }).click(),
  ]);
  expect(require("fs").readFileSync(await download.path()).equals(acta)).toBe(true);

  // A type the case does not take is refused before anything is sent, in words.
  await upload.getByLabel("Archivo", { exact: true }).setInputFiles({ name: "instalar.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") });
  await upload.getByRole("button", { name: "Subir", exact: true }).click();
  await expect(upload.getByRole("alert")).toHaveText("Aquí no se aceptan archivos de este tipo (application/x-msdownload).");
  await expect(upload.getByLabel("Archivo", { exact: true })).toHaveAttribute("aria-invalid", "true");

  // Without JavaScript the same form posts the file to the console.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  // (axe-core needs scripts: this page is signed in by hand and not screened.)
  await plain.goto("/app/sign-in");
  await plain.getByRole("button", { name: /Sofía Jiménez/ }).click();
  await plain.goto(page.url());
  const plainDocuments = plain.getByRole("region", { name: "Documentos" });
  await plainDocuments.getByLabel("Archivo", { exact: true }).setInputFiles({ name: "nota.txt", mimeType: "text/plain", buffer: Buffer.from("Cliente pide copia del contrato.") });
  await plainDocuments.getByRole("button", { name: "Subir", exact: true }).click();
  await expect(plainDocuments.getByRole("link", { name: "Descargar nota.txt" })).toBeVisible();
  await expect(plainDocuments.getByRole("link", { name: "Descargar acta de visita.pdf" })).toBeVisible();
  await context.close();

  // The customer file shows the case's files and what happened, each line naming its case.
  await page.getByRole("link", { name: "Cooperativa Médica del Norte" }).click();
  const files = page.getByRole("table", { name: "Documentos de sus casos" });
  await expect(files.getByRole("row", { name: /acta de visita\.pdf.*Crédito de consumo/ })).toBeVisible();
  await expect(files.getByRole("link", { name: "Descargar nota.txt" })).toBeVisible();
  const activity = page.getByRole("region", { name: "Actividad reciente" });
  await expect(activity.getByRole("link", { name: /Crédito de consumo/ }).first()).toBeVisible();
  await screen(page, "cuenta-actividad");
});

test("an account is created, edited, and given a contact", async ({ page }) => {
  await signIn(page, /Ana Rodríguez/);
  await page.getByRole("navigation").getByRole("link", { name: "Cuentas" }).click();
  await page.getByRole("link", { name: "Nueva cuenta" }).click();
  await page.getByRole("button", { name: "Guardar" }).click();
  // The browser asks for the name first; with one, a bad e-mail is refused on its field.
  await page.getByLabel("Nombre").fill("Ferretería El Clavo");
  await page.getByLabel("Correo").fill("no es correo");
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.locator("#record-email-error")).toBeVisible();
  await screen(page, "cuenta-nueva");
  await page.getByLabel("Correo").fill("ventas@elclavo.example");
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Ferretería El Clavo");

  await page.getByRole("link", { name: "Editar", exact: true }).click();
  await page.getByLabel("Teléfono").fill("2222-0000");
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.locator("dl.fields")).toContainText("2222-0000");

  await page.getByRole("link", { name: "Nuevo contacto" }).click();
  await page.getByLabel("Nombre").fill("Marco");
  await page.getByLabel("Apellidos").fill("Solís");
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Ferretería El Clavo");
  await expect(page.getByText("Marco Solís")).toBeVisible();
});

// Each seeded case type, opened from the console and walked to a closed state through the steps
// its definition offers, giving each step what it asks for; the documents its steps file are
// produced (their fields come from the case, the step's note and the issue date).
const walks = [
  {
    type: "Solicitud de Crédito", account: "Cooperativa Médica", amount: "5.000.000", fields: { "Plazo (meses)": "24" },
    steps: [
      ["Iniciar pre-estudio", "Documentos completos", "Pre Estudios"],
      ["Enviar a estudio", "Enviado a estudio", "En Estudio"],
      ["Resolver solicitud", "Aprobado", "Aprobado", { "Fecha de vencimiento del pagaré": "2030-06-30" }],
      ["Desembolsar", "Desembolsado", "Desembolsado"],
    ],
    documents: 1,
  },
  {
    type: "Queja de calidad", account: "Café Ñandú",
    steps: [
      ["Iniciar análisis", "En análisis", "En análisis"],
      ["Diagnosticar", "Procede", "En solución", { "Lote": "L-77" }],
      ["Solucionar", "Resuelta", "Resuelta", {}, "Repusimos el lote L-77 completo y revisamos el almacenamiento."],
    ],
    documents: 1,
  },
  {
    type: "Recepción de Vehículos", account: "Transportes Rápidos", fields: { "Placa": "BCR-123" },
    steps: [
      ["Diagnosticar", "Diagnosticado", "Diagnóstico"],
      ["Creación Presupuesto", "Presupuesto enviado", "Presupuesto enviado", { "Presupuesto (CRC)": "350.000" }],
      ["Respuesta del cliente", "Rechazado", "Presupuesto rechazado"],
    ],
    documents: 1,
  },
  {
    type: "Devolución", account: "Café Ñandú",
    steps: [
      ["Revisar solicitud", "En revisión", "En revisión"],
      ["Dictaminar", "Rechazada", "Rechazada", {}, "El producto se usó fuera de garantía."],
    ],
    documents: 0,
  },
  {
    type: "Boleta de Gestión", account: "Cooperativa Médica",
    steps: [["Anular", "Anulada", "Anulada", {}, "Boleta duplicada."]],
    documents: 0,
  },
  {
    type: "Gestión de Cobro", account: "Transportes Rápidos",
    steps: [
      ["Contactar al cliente", "Contactado", "Cliente contactado"],
      ["Confirmar pago", "Pagado", "Pagado"],
    ],
    documents: 0,
  },
];

const escaped = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("every seeded case type is opened from the console and walked to a closed state with its documents", async ({ page }) => {
  test.setTimeout(180000);
  await signIn(page, /Sofía Jiménez/);
  for (const walk of walks) {
    await page.goto("/app/cases/new");
    await page.getByLabel("Tipo").selectOption({ label: walk.type });
    await page.getByRole("button", { name: "Continuar" }).click();
    const subject = `${walk.type}: recorrido completo`;
    await page.getByLabel("Asunto").fill(subject);
    await page.getByLabel("Cuenta (nombre o parte de él)").fill(walk.account);
    if (walk.amount) await page.getByLabel(/^Monto/).fill(walk.amount);
    for (const [label, value] of Object.entries(walk.fields || {})) await page.getByLabel(label, { exact: true }).fill(value);
    if (walk.type === "Solicitud de Crédito") await screen(page, "caso-nuevo");
    await page.getByRole("button", { name: "Abrir caso" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(subject);

    for (const [action, result, next, fields, note] of walk.steps) {
      const form = page
        .getByRole("region", { name: action, exact: true })
        .locator("form")
        .filter({ has: page.getByRole("button", { name: new RegExp(`^${escaped(result)}( ·|$)`) }) });
      for (const [label, value] of Object.entries(fields || {})) await form.getByLabel(label, { exact: true }).fill(value);
      if (note) await form.getByLabel("Nota").fill(note);
      await form.getByRole("button").click();
      await expect(page.locator("dl.fields .badge"), `${walk.type}: ${action} → ${result}`).toHaveText(next);
    }
    await expect(page.getByText("No tiene pasos disponibles en este estado.")).toBeVisible();
    const documents = page.getByRole("region", { name: "Documentos" });
    await expect(documents.getByText("Listo", { exact: true }), `${walk.type}: documents produced`).toHaveCount(
      walk.documents,
      { timeout: 30000 },
    );
    await expect(documents.getByText("Falló", { exact: true })).toHaveCount(0);
  }
});

test("an administrator gives Ana the collections profile from the keyboard; as an agent she could not record a payment", async ({ browser }) => {
  const [agent, admin] = [await (await browser.newContext()).newPage(), await (await browser.newContext()).newPage()];
  await signIn(agent, /Ana Rodríguez/);
  await agent.goto("/app/receivables/invoices/FAC-2026-0401");
  await expect(agent.getByRole("heading", { level: 1 })).toContainText("Factura FAC-2026-0401");
  await expect(agent.getByRole("button", { name: "Registrar un pago" })).toHaveCount(0);
  await expect(agent.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Configuración" })).toHaveCount(0);

  await signIn(admin, /Administración/);
  const nav = admin.getByRole("navigation", { name: "Gestiona" });
  await nav.getByRole("link", { name: "Configuración" }).focus();
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Configuración");
  await screen(admin, "configuracion");
  await admin.getByRole("main").getByRole("link", { name: "Perfiles" }).focus();
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Perfiles");
  await admin.getByRole("link", { name: "Cobranza" }).focus();
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Perfil Cobranza");
  const matrix = admin.getByRole("table", { name: "Permisos", exact: true });
  await expect(matrix.getByRole("checkbox", { name: "Crear: Facturas y pagos" })).toBeChecked();
  await expect(matrix.getByRole("checkbox", { name: "Archivar: Facturas y pagos" })).not.toBeChecked();
  // Space ticks the focused box; collections may now also open cases.
  await matrix.getByRole("checkbox", { name: "Crear: Casos" }).focus();
  await admin.keyboard.press("Space");
  await admin.getByRole("button", { name: "Guardar" }).press("Enter");
  await expect(admin.getByRole("status")).toHaveText("Guardado.");
  await expect(matrix.getByRole("checkbox", { name: "Crear: Casos" })).toBeChecked();
  await screen(admin, "perfil");

  await admin.goto("/app/settings/users");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Usuarios");
  await admin.getByRole("link", { name: "Ana Rodríguez" }).click();
  await admin.getByLabel("Perfil").selectOption("collections");
  await admin.getByRole("button", { name: "Guardar" }).press("Enter");
  await expect(admin.getByRole("status")).toHaveText("Guardado.");
  await screen(admin, "usuario");
  await admin.getByRole("link", { name: "Usuarios" }).first().click();
  await expect(admin.getByRole("row", { name: /Ana Rodríguez/ })).toContainText("Cobranza");

  // The access log says who changed what, and from where.
  await nav.getByRole("link", { name: "Configuración" }).click();
  await admin.getByRole("main").getByRole("link", { name: "Registro de accesos" }).click();
  await admin.getByLabel("Usuario", { exact: true }).selectOption("admin");
  await admin.getByRole("button", { name: "Filtrar" }).press("Enter");
  const log = admin.getByRole("table", { name: "Registro de accesos" });
  await expect(log.getByRole("row", { name: /Cambió un usuario/ })).toContainText("Usuarios: ana");
  await expect(log.getByRole("row", { name: /Cambió un perfil/ })).toContainText("Perfiles: collections");
  await screen(admin, "registro-de-accesos");

  // The company's settings from the keyboard: a wrong currency is refused at its field, then saved.
  await nav.getByRole("link", { name: "Configuración" }).click();
  await admin.getByRole("main").getByRole("link", { name: "Datos de la empresa" }).click();
  await admin.getByLabel("Moneda").focus();
  await admin.keyboard.press("Control+A");
  await admin.keyboard.type("PESOS");
  await admin.keyboard.press("Enter");
  await expect(admin.getByText("debe ser un código de moneda ISO 4217")).toBeVisible();
  await expect(admin.getByLabel("Moneda")).toHaveAttribute("aria-invalid", "true");
  await admin.getByLabel("Moneda").fill("CRC");
  await admin.getByLabel("Cédula jurídica o identificación fiscal").fill("3-101-999999");
  await admin.getByLabel("Cédula jurídica o identificación fiscal").press("Enter");
  await expect(admin.getByRole("status")).toHaveText("Guardado.");
  await screen(admin, "empresa");

  // Ana's next page already works with the new profile.
  await agent.reload();
  await expect(agent.getByRole("button", { name: "Registrar un pago" })).toBeVisible();
});

test("an administrator arranges teams from the keyboard, Carlos's case list follows his teams, and Ana's work is handed over", async ({ browser }) => {
  const [agent, admin] = [await (await browser.newContext()).newPage(), await (await browser.newContext()).newPage()];
  await signIn(agent, /Carlos Smith/);
  await agent.goto("/app/cases");
  const cases = agent.getByRole("main");
  await expect(cases.getByRole("heading", { level: 1 })).toHaveText("Cases");
  await expect(cases.getByRole("link", { name: /Camión placa CL-284571/ })).toBeVisible();
  await expect(cases.getByRole("link", { name: /Crédito de consumo/ }), "customer service's case is not his to see").toHaveCount(0);

  await signIn(admin, /Administración/);
  await admin.goto("/app/settings");
  await admin.getByRole("main").getByRole("link", { name: "Equipos y sucursales" }).focus();
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Equipos y sucursales");
  const branches = admin.getByRole("table", { name: "Sucursales" });
  const teams = admin.getByRole("table", { name: "Equipos" });
  await expect(branches.getByLabel("Nombre 1")).toHaveValue("San José");
  await screen(admin, "organizacion");

  // A new branch typed into the blank row, with a key that is not one: refused by row, kept as typed.
  await branches.getByLabel("Clave 3").focus();
  await admin.keyboard.type("Cartago Centro");
  await admin.keyboard.press("Tab");
  await admin.keyboard.type("Cartago");
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("alert")).toContainText("Sucursales 3, Clave");
  await expect(branches.getByLabel("Clave 3")).toHaveValue("Cartago Centro");
  await branches.getByLabel("Clave 3").fill("cartago");
  // Carlos joins customer service as well as the workshop.
  await teams.getByLabel("Miembros 1").selectOption(["ana", "carlos"]);
  await teams.getByLabel("Sucursal 2").selectOption("heredia");
  await admin.getByRole("button", { name: "Guardar" }).press("Enter");
  await expect(admin.getByRole("status")).toHaveText("Guardado.");
  await expect(branches.getByLabel("Clave 3")).toHaveValue("cartago");
  await expect(teams.getByLabel("Sucursal 2")).toHaveValue("heredia");
  await screen(admin, "organizacion-guardada");

  await agent.reload();
  await expect(cases.getByRole("link", { name: /Crédito de consumo/ })).toBeVisible();
  await screen(agent, "cases-of-two-teams");

  // Ana goes on holiday: her open work goes to Sofía, from the keyboard.
  await admin.goto("/app/settings/users/ana");
  const handOver = admin.getByRole("region", { name: "Entregar el trabajo abierto" });
  await handOver.getByLabel("Entregar a").focus();
  await handOver.getByLabel("Entregar a").selectOption({ label: "Sofía Jiménez" });
  await handOver.getByRole("button", { name: "Entregar" }).press("Enter");
  await expect(admin.getByRole("status")).toContainText("Entregados a Sofía Jiménez: casos abiertos,");
  await screen(admin, "entregar-trabajo");
});

test("collections: Cartera by age and agent, a filtered list, a payment and a promised date on an invoice", async ({ page }) => {
  await signIn(page, /Ana Rodríguez/);
  await page.getByRole("navigation").getByRole("link", { name: "Cartera" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cartera");
  const coop = page.getByRole("row", { name: /Cooperativa Médica del Norte · CRC/ });
  await expect(coop).toContainText("₡4.700.000,50");
  await screen(page, "cartera");

  await page.getByRole("link", { name: "Por gestor de cobro" }).click();
  await expect(page.getByRole("row", { name: /Ana Rodríguez · CRC/ })).toContainText("₡4.700.000,50");

  // The filters from the keyboard: open them, choose the oldest bucket, filter.
  await page.locator("summary", { hasText: "Filtros" }).press("Enter");
  await expect(page.getByLabel("Antigüedad", { exact: true })).toBeVisible();
  await page.getByLabel("Antigüedad", { exact: true }).selectOption("over90");
  await page.getByRole("button", { name: "Filtrar" }).press("Enter");
  await expect(page).toHaveURL(/bucket=over90/);
  const invoices = page.locator("table").last().locator("tbody tr");
  await expect(invoices).toHaveCount(1);
  await expect(invoices.first()).toContainText("FAC-2026-0357");
  await screen(page, "cartera-filtrada");

  await page.goto("/app/receivables/invoices/FAC-2026-0401");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Factura FAC-2026-0401");
  await page.getByLabel("Monto").fill("400.000");
  await page.getByLabel("Medio de pago").fill("Transferencia");
  // A double click posts the form twice: its id records the payment once.
  await page.getByRole("button", { name: "Registrar un pago" }).dblclick();
  await expect(page.getByRole("status")).toHaveText(/Pago registrado. Saldo: ₡490.000,00.|Este pago ya estaba registrado/);
  const payments = page.getByRole("region", { name: "Pagos" }).locator("tbody tr");
  await expect(payments).toHaveCount(1);
  await expect(payments.first()).toContainText("₡400.000,00");
  await expect(page.locator("dl.fields")).toContainText("₡490.000,00");

  await page.getByLabel("Fecha de pago prometida").fill("2027-01-15");
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.getByRole("status")).toHaveText("Guardado.");
  await expect(page.locator("dl.fields")).toContainText("15 de enero de 2027");
  await expect(page.locator("ol.timeline")).toContainText("Cambió los datos de cobranza");
  await screen(page, "factura");
});

// A receiver on loopback, as an integrator's endpoint: keeps each delivery, answers 200.
async function receiver() {
  const http = require("node:http");
  const deliveries = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("ok");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hooks`, deliveries, close: () => server.close() };
}

// What an integrator checks: the Standard Webhooks signature with the secret the page showed.
function signedBy(secret, delivery) {
  const crypto = require("node:crypto");
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature } = delivery.headers;
  const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${delivery.body}`).digest("base64");
  return signature.split(" ").includes(`v1,${expected}`);
}

test("webhooks: an administrator subscribes from the keyboard, keeps the secret, sees a signed delivery, replays, disables, rotates and deletes", async ({ page, browser }) => {
  const token = process.env.GESTIONA_ADMIN_TOKEN;
  expect(token, "tests/browser/run passes the demo administrator's token").toBeTruthy();
  const endpoint = await receiver();
  try {
    await signIn(page, /Administración/);
    await page.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Configuración" }).click();
    await page.getByRole("main").getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Webhooks");

    // A wrong address and no event: refused on the page, in Spanish, with what was typed kept.
    await page.getByLabel("Dirección del receptor (https://)").fill("http://erp.example.com/hooks");
    await page.getByRole("button", { name: "Suscribir" }).click();
    await expect(page.getByText("debe ser una dirección https:// del receptor")).toBeVisible();
    await expect(page.getByText("indique al menos un evento")).toBeVisible();
    await screen(page, "webhooks");

    // From the keyboard: the address, the description, the first event, then Subscribe.
    const address = page.getByLabel("Dirección del receptor (https://)");
    await address.focus();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type(endpoint.url);
    await page.keyboard.press("Tab");
    await page.keyboard.type("ERP de prueba");
    await page.getByRole("checkbox", { name: /Prospecto captado/ }).focus();
    await page.keyboard.press("Space");
    await expect(page.getByRole("checkbox", { name: /Prospecto captado/ })).toBeChecked();
    await page.getByRole("button", { name: "Suscribir" }).focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { name: "Nuevo secreto de firma" })).toBeVisible();
    const secret = await page.getByRole("textbox", { name: "Nuevo secreto de firma" }).inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    await screen(page, "webhook-secreto");

    // A lead captured through the API reaches the receiver, signed with that secret.
    const lead = await page.request.post("/leads", {
      headers: { authorization: `Bearer ${token}` },
      data: { name: "Laura Jiménez", email: `laura.${Date.now()}@palmas.example` },
    });
    expect(lead.status()).toBe(201);
    await expect.poll(() => endpoint.deliveries.length, { timeout: 20_000 }).toBe(1);
    const first = endpoint.deliveries[0];
    expect(signedBy(secret, first)).toBe(true);
    expect(JSON.parse(first.body).type).toBe("lead.captured");

    // The log shows it delivered; the page no longer shows the secret, only its end.
    await page.reload();
    await expect(page.getByRole("heading", { name: "Nuevo secreto de firma" })).toHaveCount(0);
    await expect(page.getByText(`whsec_…${secret.slice(-4)}`)).toBeVisible();
    const log = page.getByRole("table", { name: "Entregas" });
    await expect(log.getByRole("row").nth(1)).toContainText("Entregada");
    await expect(log.getByRole("row").nth(1)).toContainText("200");
    await screen(page, "webhook");

    // Sent again: a new delivery id, the same event.
    await log.getByRole("button", { name: /Reenviar: lead.captured/ }).first().click();
    await expect(page.getByText("En cola de nuevo como una entrega nueva.")).toBeVisible();
    await expect.poll(() => endpoint.deliveries.length, { timeout: 20_000 }).toBe(2);
    const second = endpoint.deliveries[1];
    expect(second.headers["webhook-id"]).not.toBe(first.headers["webhook-id"]);
    expect(JSON.parse(second.body).id).toBe(JSON.parse(first.body).id);

    // Disabled, a replay is refused; a rotation shows a new secret once.
    await page.getByRole("button", { name: "Desactivar" }).click();
    await expect(page.locator("dl.fields .badge")).toHaveText("Desactivada por un administrador");
    await page.getByRole("table", { name: "Entregas" }).getByRole("button", { name: /Reenviar/ }).first().click();
    await expect(page.getByText("Actívela antes de reenviar una entrega.")).toBeVisible();
    await page.getByRole("button", { name: "Rotar el secreto de firma" }).click();
    const rotated = await page.getByRole("textbox", { name: "Nuevo secreto de firma" }).inputValue();
    expect(rotated).not.toBe(secret);
    await expect(page.getByText(/firma hasta/)).toBeVisible();

    // In English for an administrator who reads English (the directory says so).
    const english = await page.request.put("/users/admin", {
      headers: { authorization: `Bearer ${token}` },
      data: { name: "Administración", email: "admin@demo.gestiona.example", locale: "en" },
    });
    expect(english.status()).toBeLessThan(300);
    const context = await browser.newContext();
    const other = await context.newPage();
    try {
      await signIn(other, /Administración/);
      await other.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Settings" }).click();
      await other.getByRole("main").getByRole("link", { name: "Webhooks" }).click();
      await expect(other.getByRole("heading", { name: "New subscription" })).toBeVisible();
      await other.getByRole("link", { name: endpoint.url }).click();
      await expect(other.locator("dl.fields .badge")).toHaveText("Disabled by an administrator");
      await expect(other.getByRole("table", { name: "Deliveries" })).toContainText("Delivered");
      await screen(other, "webhook-en");
      await other.getByText("Delete this subscription").click();
      await other.getByRole("button", { name: "Delete", exact: true }).click();
      await expect(other.getByText("The subscription was deleted.")).toBeVisible();
      await expect(other.getByText("No subscriptions yet.")).toBeVisible();

      // The other settings pages in English too.
      await other.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Settings" }).click();
      await other.getByRole("main").getByRole("link", { name: "Company settings" }).click();
      await expect(other.getByLabel("Time zone (IANA, such as America/Costa_Rica)")).toHaveValue("America/Costa_Rica");
      await screen(other, "company-en");
      await other.goto("/app/settings/profiles/collections");
      await expect(other.getByRole("table", { name: "Permissions", exact: true }).getByRole("checkbox", { name: "Create: Invoices and payments" })).toBeChecked();
      await other.goto("/app/settings/access-log");
      await expect(other.getByRole("table", { name: "Access log" })).toContainText("Changed a user");
      // How long the log keeps entries, from the keyboard.
      const keeping = other.getByLabel("Keep each entry (days)");
      await expect(keeping).toHaveValue("400");
      await keeping.focus();
      await keeping.press("ControlOrMeta+a");
      await keeping.pressSequentially("730");
      await keeping.press("Enter");
      await expect(other.getByRole("status")).toHaveText("Saved.");
      await expect(other.getByLabel("Keep each entry (days)")).toHaveValue("730");
      await expect(other.getByRole("table", { name: "Access log" }).getByRole("row").nth(1)).toContainText("Changed the company's settings");
      await screen(other, "access-log-en");
    } finally {
      await context.close();
      await page.request.put("/users/admin", {
        headers: { authorization: `Bearer ${token}` },
        data: { name: "Administración", email: "admin@demo.gestiona.example", locale: "es" },
      });
    }
  } finally {
    endpoint.close();
  }
});

test("an administrator hides the tax id and locks the phone for collections from the keyboard; Ana sees neither change", async ({ browser }) => {
  const [agent, admin] = [await (await browser.newContext()).newPage(), await (await browser.newContext()).newPage()];
  await signIn(admin, /Administración/);
  await admin.goto("/app/settings/profiles/collections");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Perfil Cobranza");
  const fields = admin.getByRole("table", { name: "Campos" });
  const taxId = fields.getByRole("combobox", { name: "Acceso a Cuentas: Identificación" });
  await expect(taxId).toHaveValue("readWrite");
  await taxId.focus();
  await taxId.selectOption("hidden");
  await fields.getByRole("combobox", { name: "Acceso a Cuentas: Teléfono" }).selectOption("readOnly");
  // Complaints are not collections' business: that type keeps nothing.
  const types = admin.getByRole("table", { name: "Permisos por tipo de caso" });
  const complaints = types.getByRole("combobox", { name: "Permisos sobre Casos: Queja de calidad" });
  await expect(complaints).toHaveValue("module");
  await complaints.focus();
  await complaints.selectOption("own");
  const readComplaints = types.getByRole("checkbox", { name: "Ver: Casos: Queja de calidad" });
  await expect(readComplaints).toBeChecked();
  await readComplaints.focus();
  await admin.keyboard.press("Space");
  await expect(readComplaints).not.toBeChecked();
  // An earlier test let collections open cases: not complaints.
  const openComplaints = types.getByRole("checkbox", { name: "Crear: Casos: Queja de calidad" });
  if (await openComplaints.isChecked()) {
    await openComplaints.focus();
    await admin.keyboard.press("Space");
  }
  await expect(openComplaints).not.toBeChecked();
  await admin.getByRole("button", { name: "Guardar" }).press("Enter");
  await expect(admin.getByRole("status")).toHaveText("Guardado.");
  await expect(taxId).toHaveValue("hidden");
  await expect(complaints).toHaveValue("own");
  await expect(readComplaints).not.toBeChecked();
  await screen(admin, "perfil-campos");
  const axe = await new AxeBuilder({ page: admin }).analyze();
  expect(axe.violations, JSON.stringify(axe.violations, null, 2)).toEqual([]);

  // Ana works with the collections profile (an earlier test gave it to her).
  await signIn(agent, /Ana Rodríguez/);
  await agent.goto("/app/accounts");
  await expect(agent.getByRole("link", { name: "Cooperativa Médica del Norte" })).toBeVisible();
  await expect(agent.getByRole("main")).not.toContainText("3-004-045117");
  await expect(agent.getByRole("columnheader", { name: "Identificación" })).toHaveCount(0);
  await agent.getByRole("link", { name: "Cooperativa Médica del Norte" }).focus();
  await agent.keyboard.press("Enter");
  await expect(agent.getByRole("heading", { level: 1 })).toHaveText("Cooperativa Médica del Norte");
  await expect(agent.getByRole("main")).not.toContainText("3-004-045117");
  await agent.getByRole("link", { name: "Editar" }).first().press("Enter");
  await expect(agent.getByLabel("Teléfono")).not.toBeEditable();
  await expect(agent.getByLabel("Identificación")).toHaveCount(0);
  await agent.getByLabel("Sector").fill("Salud privada");
  await agent.getByLabel("Sector").press("Enter");
  await expect(agent.getByRole("heading", { level: 1 })).toHaveText("Cooperativa Médica del Norte");
  await expect(agent.getByRole("main")).toContainText("Salud privada");
  await screen(agent, "cuenta-sin-identificacion");

  // No complaint reaches Ana any more; the administrator still has them.
  await agent.goto("/app/cases?type=queja_calidad");
  await expect(agent.getByRole("main")).toContainText("No hay casos aquí.");
  await admin.goto("/app/cases?type=queja_calidad");
  await expect(admin.getByRole("main")).not.toContainText("No hay casos aquí.");

  // The administrator still sees it: nothing was lost by Ana's save.
  await admin.goto("/app/accounts");
  await expect(admin.getByRole("main")).toContainText("3-004-045117");
});

test("an administrator invites a salesperson from the keyboard, who can then sign in", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, /Administración/);
  await admin.goto("/app/settings/users");
  const invite = admin.getByRole("region", { name: "Invitar a alguien" });
  await invite.getByLabel("Nombre").focus();
  await admin.keyboard.type("Marta Vidal");
  await admin.keyboard.press("Tab");
  await admin.keyboard.type("marta.vidal");
  await invite.getByLabel("Perfil").selectOption({ label: "Ventas" });
  await invite.getByRole("button", { name: "Invitar" }).press("Enter");
  // The browser checks the address before it is sent.
  expect(await invite.getByLabel("Correo").evaluate((input) => input.validity.valid)).toBe(false);
  await invite.getByLabel("Correo").fill("marta.vidal@demo.example");
  await invite.getByRole("button", { name: "Invitar" }).press("Enter");
  await expect(admin.getByRole("heading", { level: 1 })).toContainText("Marta Vidal");
  await expect(admin.getByLabel("Perfil")).toHaveValue("sales");
  await screen(admin, "usuario-invitado");
  const axe = await new AxeBuilder({ page: admin }).analyze();
  expect(axe.violations, JSON.stringify(axe.violations, null, 2)).toEqual([]);

  const marta = await (await browser.newContext()).newPage();
  await signIn(marta, /Marta Vidal/);
  await expect(marta.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: /Prospectos/ })).toBeVisible();
});

test("a salesperson opens an opportunity from an account and moves it on the board from the keyboard", async ({ browser }) => {
  const marta = await (await browser.newContext()).newPage();
  await signIn(marta, /Marta Vidal/);
  await marta.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Oportunidades" }).click();
  await expect(marta.getByRole("heading", { level: 1 })).toHaveText("Oportunidades");
  await marta.getByRole("link", { name: "Nueva oportunidad" }).click();
  // The account first, found by a word.
  await marta.getByLabel("¿Para qué cuenta es?").fill("Ñandú");
  await marta.keyboard.press("Enter");
  await marta.getByRole("link", { name: /Café Ñandú/ }).click();
  await expect(marta.getByRole("heading", { level: 2 })).toHaveText("Oportunidad de Café Ñandú Ltda.");
  await screen(marta, "oportunidad-nueva");
  await marta.getByLabel("Nombre").fill("Molinos para 8 tiendas");
  await marta.getByLabel("Monto").fill("3.200.000");
  await marta.getByLabel("Cierre previsto").fill("2027-02-26");
  await marta.getByLabel("Competidores").fill("Cafés del Norte");
  await marta.getByRole("button", { name: "Crear oportunidad" }).press("Enter");
  await expect(marta.getByRole("heading", { level: 1 })).toHaveText("Molinos para 8 tiendas");
  await expect(marta.locator("dl.fields")).toContainText("10 %");
  await screen(marta, "oportunidad");

  // On the board: the card's select and button, from the keyboard.
  await marta.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Oportunidades" }).click();
  const move = marta.getByLabel("Mover «Molinos para 8 tiendas» a");
  await move.focus();
  await marta.keyboard.press("ArrowDown");
  await marta.keyboard.press("ArrowDown");
  await expect(move).toHaveValue("proposal");
  await marta.keyboard.press("Tab");
  await marta.keyboard.press("Enter");
  await expect(marta.getByRole("status")).toHaveText("«Molinos para 8 tiendas» está ahora en Propuesta.");
  await expect(marta.getByRole("region", { name: /Propuesta/ })).toContainText("Molinos para 8 tiendas");
  await screen(marta, "tablero");

  // A lost stage asks why; the page keeps the move and the reason completes it.
  await marta.getByRole("link", { name: "Molinos para 8 tiendas" }).click();
  await marta.getByLabel("Etapa").selectOption({ label: "Perdida" });
  await marta.getByRole("button", { name: "Guardar" }).click();
  await expect(marta.getByRole("alert")).toHaveText("Motivo de pérdida: es obligatorio en la etapa Perdida");
  await marta.getByLabel("Motivo de pérdida").fill("Eligieron Cafés del Norte por precio");
  await marta.getByRole("button", { name: "Guardar" }).click();
  await expect(marta.locator("dl.fields")).toContainText("Eligieron Cafés del Norte por precio");
  await expect(marta.locator("ol.timeline")).toContainText("Etapa: Propuesta → Perdida");
  await screen(marta, "oportunidad-perdida");

  // The forecast of its fiscal year, by owner: lost, with its amount.
  await marta.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Oportunidades" }).click();
  await marta.getByRole("link", { name: "Pronóstico" }).click();
  await marta.getByLabel("Periodo", { exact: true }).selectOption({ label: "Año fiscal" });
  await marta.getByLabel("Cualquier día del periodo").fill("2027-02-26");
  await marta.getByLabel("Agrupar por").selectOption({ label: "Responsable" });
  await marta.getByRole("button", { name: "Filtrar" }).click();
  const row = marta.getByRole("row", { name: /marta\.vidal/ });
  await expect(row).toContainText("₡3.200.000,00");
  await expect(marta.getByRole("img", { name: /Ganado, comprometido/ })).toBeVisible();
  await expect(marta.getByRole("region", { name: "Movimiento del periodo" }).getByRole("row", { name: /Nuevas/ })).toBeVisible();
  await screen(marta, "pronostico");
  // As the year stood two days ago, before any of it was written.
  const twoDaysAgo = new Date(Date.now() - 2 * 86400e3).toISOString().slice(0, 10);
  await marta.getByLabel("Según estaba el (opcional)").fill(twoDaysAgo);
  await marta.getByRole("button", { name: "Filtrar" }).press("Enter");
  await expect(marta.getByText("Ninguna oportunidad tiene cierre previsto en este periodo.")).toBeVisible();
  await expect(marta.locator("#forecast-range")).toContainText("según estaba al cierre del");

  // Carlos, in English, sees his own board only.
  const carlos = await (await browser.newContext()).newPage();
  await signIn(carlos, /Carlos Smith/);
  await carlos.goto("/app/opportunities");
  await expect(carlos.getByRole("link", { name: "Board" })).toBeVisible();
  await expect(carlos.getByText("Molinos para 8 tiendas")).toHaveCount(0);
  await screen(carlos, "board-en");
});

test("an administrator opens a price list and gives an account its list from the keyboard; an agent finds a product's prices, in Spanish and English", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, /Administración/);
  await admin.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Productos" }).click();
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Productos");
  await screen(admin, "productos");
  await admin.getByRole("link", { name: "Listas de precios" }).click();
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Listas de precios");
  await expect(admin.getByRole("row", { name: /Distribuidores/ })).toContainText("CRC");
  // The new list, typed and sent from the keyboard.
  await admin.getByLabel("Clave").fill("mayoristas");
  await admin.keyboard.press("Tab");
  await admin.keyboard.type("Mayoristas");
  await admin.getByLabel("Moneda").fill("CRC");
  await admin.getByRole("button", { name: "Crear la lista" }).press("Enter");
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText(/Mayoristas/);
  await expect(admin.getByText("Aún no se ha publicado ninguna versión.")).toBeVisible();
  await screen(admin, "lista-de-precios");

  // The cooperative is priced from it from now on.
  await admin.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Cuentas" }).click();
  await admin.getByRole("link", { name: "Cooperativa Médica del Norte" }).click();
  const list = admin.getByRole("combobox", { name: "Lista de precios", exact: true });
  await list.selectOption({ label: "Mayoristas" });
  await list.focus();
  await admin.keyboard.press("Tab");
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("combobox", { name: "Lista de precios", exact: true })).toHaveValue("mayoristas");
  await screen(admin, "cuenta-lista-de-precios");

  // Ana finds the paint by a word and sees what it costs in each list.
  const ana = await (await browser.newContext()).newPage();
  await signIn(ana, /Ana Rodríguez/);
  await ana.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Productos" }).click();
  await ana.getByLabel("Palabras del nombre, código o grupo").fill("latex");
  await ana.keyboard.press("Enter");
  await ana.getByRole("link", { name: "PIN-0100" }).click();
  await expect(ana.getByRole("heading", { level: 1 })).toContainText("Pintura de látex blanco mate");
  await expect(ana.getByRole("row", { name: /Lista general/ })).toContainText("₡24.000,00");
  await expect(ana.getByRole("row", { name: /Distribuidores/ })).toContainText("₡22.080,00");
  await screen(ana, "producto");

  // Carlos reads English.
  const carlos = await (await browser.newContext()).newPage();
  await signIn(carlos, /Carlos Smith/);
  await carlos.goto("/app/price-lists/distribuidores");
  await expect(carlos.getByRole("heading", { name: "Versions" })).toBeVisible();
  await expect(carlos.getByRole("columnheader", { name: "Unit price" })).toBeVisible();
  await screen(carlos, "price-list-en");
});

test("a quote is written from an account with live totals, sent, accepted, made an order and invoiced from the keyboard", async ({ page }) => {
  // Sofía: an earlier test gives Ana the collections profile, which sells nothing.
  await signIn(page, /Sofía Jiménez/);
  await page.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Cuentas" }).click();
  await page.getByRole("link", { name: "Café Ñandú Ltda." }).click();
  await page.getByRole("link", { name: "Nueva cotización" }).click();
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Cotización para Café Ñandú Ltda.");
  // Typed from the keyboard; the totals follow as the lines change.
  await page.getByLabel("Línea 1, Producto").fill("PIN-0100");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Línea 1, Cantidad")).toBeFocused();
  await page.keyboard.type("4");
  await expect(page.getByLabel("Línea 1, Cantidad")).toHaveValue("4");
  const preview = page.getByRole("region", { name: "Importe" });
  await expect(preview).toContainText("₡108.480,00");
  await page.getByLabel("Línea 2, Descripción").fill("Aplicación en sitio");
  await page.getByLabel("Línea 2, Precio unitario").fill("30.000");
  await page.getByLabel("Línea 2, IVA %").fill("13");
  await expect(preview).toContainText("₡142.380,00");
  await screen(page, "cotizacion-nueva");
  await page.getByRole("button", { name: "Guardar la cotización" }).press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("COT-");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Borrador");
  await page.getByRole("button", { name: "Marcar como enviada" }).press("Enter");
  await expect(page.getByRole("status")).toHaveText("La cotización quedó marcada como enviada.");
  await page.getByRole("button", { name: "Aceptada", exact: true }).press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Aceptada");
  await screen(page, "cotizacion");
  // The order it becomes, and (for who records invoices) its invoice in Cartera.
  await page.getByRole("button", { name: "Convertir en pedido" }).press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("PED-");
  await screen(page, "pedido");
  await page.getByLabel("Vence").fill("2027-01-31");
  await page.getByRole("button", { name: "Facturar", exact: true }).press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("F-PED-");
  await screen(page, "pedido-facturado");
  await page.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Cotizaciones" }).click();
  await expect(page.getByRole("row", { name: /Café Ñandú/ })).toContainText("₡142.380,00");
  await screen(page, "cotizaciones");
});

test("an administrator sets a month's goals from the keyboard and Carlos reads his attainment in English", async ({ browser }) => {
  // The demo's won "Repuestos de frenos" (Carlos, ₡750.000) closes five days from today.
  const month = new Date(Date.now() + 5 * 86400e3)
    .toLocaleDateString("en-CA", { timeZone: "America/Costa_Rica" })
    .slice(0, 7);
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, /Administración/);
  await admin.getByRole("navigation", { name: "Gestiona" }).getByRole("link", { name: "Oportunidades" }).click();
  await admin.getByRole("link", { name: "Metas" }).click();
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText(/^Metas de \d{4}-\d{2}$/);
  await admin.getByLabel("Mes", { exact: true }).fill(month);
  await admin.getByRole("button", { name: "Filtrar" }).click();
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText(`Metas de ${month}`);
  await admin.getByRole("link", { name: "Editar las metas del mes" }).click();
  await screen(admin, "metas-editar");

  // The first row from the keyboard: the agent, the line, what counts, the amount.
  await admin.getByLabel("Línea 1, Agente").focus();
  await admin.keyboard.type("Carlos");
  await expect(admin.getByLabel("Línea 1, Agente")).toHaveValue("carlos");
  await admin.keyboard.press("Tab");
  await admin.keyboard.type("Repuestos");
  await admin.keyboard.press("Tab");
  await admin.getByLabel("Línea 1, Estado exitoso").selectOption({ label: "Ventas · Ganada" });
  await admin.keyboard.press("Tab");
  await admin.keyboard.type("1.500.000");
  await admin.getByLabel("Línea 1, Clientes nuevos").fill("uno");
  await admin.getByRole("button", { name: "Guardar las metas" }).press("Enter");
  await expect(admin.getByRole("alert")).toContainText("Línea 1, Clientes nuevos:");
  await expect(admin.getByLabel("Línea 1, Meta en CRC")).toHaveValue("1.500.000");
  await admin.getByLabel("Línea 1, Clientes nuevos").fill("1");
  await admin.getByRole("button", { name: "Guardar las metas" }).press("Enter");
  const row = admin.getByRole("row", { name: /Carlos Smith/ });
  await expect(row).toContainText("Repuestos");
  await expect(row).toContainText("₡750.000,00 de ₡1.500.000,00");
  await expect(row).toContainText("50 %");
  await screen(admin, "metas");

  const carlos = await (await browser.newContext()).newPage();
  await signIn(carlos, /Carlos Smith/);
  await carlos.goto(`/app/opportunities/goals?month=${month}`);
  await expect(carlos.getByRole("heading", { level: 1 })).toHaveText(`Goals of ${month}`);
  await expect(carlos.getByRole("row", { name: /Carlos Smith/ })).toContainText("50%");
  await expect(carlos.getByRole("link", { name: "Edit the month's goals" })).toHaveCount(0);
  await screen(carlos, "goals-en");
});
