//! *Cartera* through `Console::handle`: the aging summary by account and by agent, the invoice
//! filters, and an invoice's page with a payment recorded once, the collections data kept at
//! its version, and a write-off only supervisors may make.

mod support;

use http::{Method, StatusCode};
use support::{console, encode, input_value, request, sign_in, text};

async fn get(console: &gestiona_console::Console, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = console.handle(request(Method::GET, path, Some(cookie), None)).await;
    (response.status(), text(&response))
}

async fn post(console: &gestiona_console::Console, cookie: &str, path: &str, form: &str) -> (StatusCode, String) {
    let response = console.handle(request(Method::POST, path, Some(cookie), Some(form))).await;
    (response.status(), text(&response))
}

/// The invoice numbers a page lists, in its order.
fn invoice_numbers(page: &str) -> Vec<String> {
    page.split("href=\"/app/receivables/invoices/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// The text of the table row whose header or first cell holds `label`.
fn row<'a>(page: &'a str, label: &str) -> &'a str {
    let at = page.find(label).unwrap_or_else(|| panic!("no row for {label}"));
    let start = page[..at].rfind("<tr>").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn cartera_adds_up_what_is_owed_by_age_and_lists_the_invoices_behind_it() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let (status, page) = get(&console, &cookie, "/app/receivables").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("aria-current=\"page\">Cartera"), "the navigation marks Cartera");
    let coop = row(&page, "Cooperativa Médica del Norte · CRC");
    assert!(coop.contains("₡3.450.000,00") && coop.contains("₡1.250.000,50"), "not yet due and 31–60 days: {coop}");
    assert!(coop.contains("₡4.700.000,50"), "the account's total: {coop}");
    let cafe = row(&page, "Café Ñandú Ltda. · USD");
    assert!(cafe.contains("US$4.200,00") && cafe.contains("US$5.200,00"), "over 90 days, in dollars: {cafe}");
    assert!(cafe.contains("bucket=over90&#38;status=owed\">US$4.200,00</a>"), "a bucket's figure links its invoices");
    assert!(page.contains("<tfoot>"), "totals per currency at the foot");
    let listed = invoice_numbers(&page);
    assert_eq!(listed.len(), 5, "every demo invoice, by due date: {listed:?}");
    assert_eq!(listed.first().map(String::as_str), Some("FAC-2026-0357"), "the oldest due first");

    // By agent: Ana collects the cooperative (named on its profile); the others have nobody.
    let (_, by_agent) = get(&console, &cookie, "/app/receivables?group=agent").await;
    let ana = row(&by_agent, "Ana Rodríguez · CRC");
    assert!(ana.contains("₡4.700.000,50"), "{ana}");
    assert!(by_agent.contains("Sin asignar · USD"), "invoices nobody collects are their own group");

    // A bucket's figure links to its invoices.
    let (_, over_90) = get(&console, &cookie, "/app/receivables?status=owed&bucket=over90").await;
    assert_eq!(invoice_numbers(&over_90), ["FAC-2026-0357"]);
    let (_, anas) = get(&console, &cookie, "/app/receivables?agent=ana&status=owed").await;
    let mut anas = invoice_numbers(&anas);
    anas.sort();
    assert_eq!(anas, ["FAC-2026-0388", "FAC-2026-0412"], "the agent's accounts' invoices only");
    let (_, partly) = get(&console, &cookie, "/app/receivables?status=partiallyPaid").await;
    assert_eq!(invoice_numbers(&partly), ["FAC-2026-0420"]);

    let (status, refused) = get(&console, &cookie, "/app/receivables?bucket=ancient&dueFrom=ayer").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.contains("Antigüedad: debe ser uno de") && refused.contains("Vence desde: debe ser una fecha"));
}

#[tokio::test]
async fn a_payment_is_recorded_once_and_never_beyond_the_balance() {
    let console = console().await;
    let path = "/app/receivables/invoices/FAC-2026-0401";
    // An agent's profile reads receivables but records no payment: no form, and a post is refused.
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let (status, page) = get(&console, &ana, path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Factura FAC-2026-0401") && page.contains("Vencida hace 10 días"), "{page}");
    assert!(page.contains("Transportes Rápidos S.A."));
    assert!(!page.contains("/write-off") && !page.contains("paymentId"), "an agent is offered neither");
    let tried = encode(&[("_csrf", &ana_csrf), ("paymentId", "PAY-1"), ("amount", "1"), ("paidOn", "2026-11-30")]);
    let (status, refused) = post(&console, &ana, &format!("{path}/payments"), &tried).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains("requiere el permiso receivables.create"), "{refused}");

    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let (_, page) = get(&console, &cookie, path).await;
    let payment_id = input_value(&page, "paymentId");

    let form = encode(&[
        ("_csrf", &csrf),
        ("paymentId", &payment_id),
        ("amount", "400.000,00"),
        ("paidOn", "2026-11-30"),
        ("method", "Transferencia"),
        ("reference", ""),
        ("note", "Abono acordado por teléfono"),
    ]);
    let (status, paid) = post(&console, &cookie, &format!("{path}/payments"), &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(paid.contains("Pago registrado. Saldo: ₡490.000,00."), "{paid}");
    assert!(paid.contains("Abono acordado por teléfono"), "the payment is listed");
    assert!(paid.contains(&format!("Pago {payment_id}: ₡400.000,00; saldo ₡490.000,00")), "and in the history");

    let (status, again) = post(&console, &cookie, &format!("{path}/payments"), &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("Este pago ya estaba registrado"), "the same form twice pays once");
    assert_eq!(again.matches("Abono acordado por teléfono").count(), 1);

    let too_much = encode(&[
        ("_csrf", &csrf),
        ("paymentId", &input_value(&again, "paymentId")),
        ("amount", "500000"),
        ("paidOn", "2026-11-30"),
    ]);
    let (status, refused) = post(&console, &cookie, &format!("{path}/payments"), &too_much).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("id=\"payment-amount-error\""), "the error sits at the amount: {refused}");
    assert!(refused.contains("value=\"500000\""), "what the user typed stays");

    let blank = encode(&[("_csrf", &csrf), ("paymentId", &payment_id), ("amount", "mucho"), ("paidOn", "")]);
    let (status, refused) = post(&console, &cookie, &format!("{path}/payments"), &blank).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Escriba el monto en cifras") && refused.contains("es obligatorio"));
}

#[tokio::test]
async fn the_collections_data_is_saved_at_its_version_and_only_supervisors_write_off() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let path = "/app/receivables/invoices/FAC-2026-0357";
    let (_, page) = get(&console, &cookie, path).await;
    let version = input_value(&page, "version");
    let form = encode(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("promisedOn", "2027-01-15"),
        ("agent", "carlos"),
        ("stopDunning", "true"),
    ]);
    let (status, saved) = post(&console, &cookie, &format!("{path}/collections"), &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(saved.contains("Guardado."));
    assert!(saved.contains("15 de enero de 2027") && saved.contains("Carlos Smith"), "{saved}");
    assert!(saved.contains("Cambió los datos de cobranza"), "the change is in the history");

    let (status, stale) = post(&console, &cookie, &format!("{path}/collections"), &form).await;
    assert_eq!(status, StatusCode::CONFLICT, "the same version again is stale");
    assert!(stale.contains("Alguien cambió esta factura"));

    // An agent's write-off is refused; the supervisor's writes the balance off.
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let (_, current) = get(&console, &cookie, path).await;
    let version = input_value(&current, "version");
    let write_off = |csrf: &str| encode(&[("_csrf", csrf), ("version", &version), ("reason", "Cliente en quiebra")]);
    let (status, refused) = post(&console, &ana, &format!("{path}/write-off"), &write_off(&ana_csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains("requiere el permiso receivables.archive"), "{refused}");
    let (status, written) = post(&console, &cookie, &format!("{path}/write-off"), &write_off(&csrf)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(written.contains("US$4.200,00 castigado por sofia: Cliente en quiebra"), "{written}");
    assert!(written.contains(">Castigada</span>"), "{written}");
    assert!(!written.contains("/payments\""), "nothing more can be paid");
}

#[tokio::test]
async fn cartera_speaks_english_to_english_users() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "carlos").await;
    let (_, page) = get(&console, &cookie, "/app/receivables").await;
    assert!(page.contains(">Receivables</a>") && page.contains("Not yet due") && page.contains("By collections agent"));
    let (_, invoice) = get(&console, &cookie, "/app/receivables/invoices/FAC-2026-0420").await;
    assert!(invoice.contains("Partially paid") && invoice.contains("BNCR-778812"), "{invoice}");
    assert!(!invoice.contains("Record a payment"), "an agent's profile records no payment");
    let (status, _) = get(&console, &cookie, "/app/receivables/invoices/NO-SUCH").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_passed_over_reminder_is_explained_in_the_readers_language() {
    // Mid-morning in Costa Rica: the ladder's sending hour has passed (at night the sweep
    // would rightly wait for it).
    let clock = std::sync::Arc::new(gestiona_domain::testing::ManualClock::at("2026-11-30T16:00:00Z"));
    let services = support::demo_services_on(clock).await;
    services.sweep_invoices().await.expect("sweep");
    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (sofia, _) = sign_in(&console, "sofia").await;
    let (carlos, _) = sign_in(&console, "carlos").await;
    // Café Ñandú's invoice is 100 days late: the sweep takes its latest step and passes over
    // the earlier ones, whose words ("vence mañana") would now be false.
    let (_, es) = get(&console, &sofia, "/app/receivables/invoices/FAC-2026-0357").await;
    assert!(es.contains("«due-soon» omitido: el "), "{es}");
    assert!(es.contains("ya no era cierto (la factura venció hace 100 días)"), "{es}");
    let (_, en) = get(&console, &carlos, "/app/receivables/invoices/FAC-2026-0357").await;
    assert!(en.contains("“due-soon” skipped: on "), "{en}");
    assert!(en.contains("it would have been false (the invoice was due 100 days ago)"), "{en}");
    assert!(!en.contains("omitido") && !en.contains("stale on"), "no Spanish, no stored text: {en}");
}
