//! Every template renders with fixture data; poppler's `pdftotext` (Debian's poppler-utils,
//! installed by the test command) reads the PDF back, so these check what a reader sees.

use std::io::Write;
use std::process::{Command, Stdio};

use gestiona_documents::Renderer;
use gestiona_documents::fixtures::{context, fields};
use gestiona_domain::document::{DocumentData, DocumentTemplate, Locale};

const INJECTION: &str = "#set page(width: 1cm) *negrita* $x$ <etiqueta> @ref [enlace](x) \\ #panic(\"x\")";

fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by the test command");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Collapses the layout's runs of spaces and line breaks so phrases can be found whole.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render(template: DocumentTemplate, locale: Locale, customer: &str) -> String {
    let data = DocumentData::assemble(template, context(locale, customer), &fields(template, INJECTION)).unwrap();
    let rendered = Renderer::shared().render(&data, "2026-11-22T15:00:00Z".parse().unwrap()).unwrap();
    assert!(rendered.pdf.starts_with(b"%PDF-"), "{template:?} is a PDF");
    flat(&pdf_text(&rendered.pdf))
}

#[test]
fn every_template_renders_the_customer_with_accents_amounts_and_dates() {
    let customer = "Transportes Núñez y Peña S.A.";
    for template in DocumentTemplate::ALL {
        for locale in [Locale::Es, Locale::En] {
            let text = render(template, locale, customer);
            assert!(text.contains(customer), "{template:?}/{locale:?}: customer name in\n{text}");
            assert!(text.contains("Cooperativa Médica del Norte"), "{template:?}/{locale:?}: issuer");
            let (total, date) = match (template, locale) {
                (DocumentTemplate::Quote, Locale::Es) => ("₡1.412.500,00", "22 de diciembre de 2026"),
                (DocumentTemplate::Quote, Locale::En) => ("₡1,412,500.00", "December 22, 2026"),
                (DocumentTemplate::Invoice, Locale::Es) => ("₡2.966.250,00", "22 de diciembre de 2026"),
                (DocumentTemplate::Invoice, Locale::En) => ("₡2,966,250.00", "December 22, 2026"),
                (DocumentTemplate::CollectionLetter, Locale::Es) => ("₡1.250.000,00", "27 de noviembre de 2026"),
                (DocumentTemplate::CollectionLetter, Locale::En) => ("₡1,250,000.00", "November 27, 2026"),
                (DocumentTemplate::Contract, Locale::Es) => ("₡1.250.000,00", "22 de noviembre de 2027"),
                (DocumentTemplate::Contract, Locale::En) => ("₡1,250,000.00", "November 22, 2027"),
                (DocumentTemplate::CaseLetter, Locale::Es) => ("Respuesta a su solicitud", "22 de noviembre de 2026"),
                (DocumentTemplate::CaseLetter, Locale::En) => ("Respuesta a su solicitud", "November 22, 2026"),
            };
            assert!(text.contains(total), "{template:?}/{locale:?}: {total} in\n{text}");
            assert!(text.contains(date), "{template:?}/{locale:?}: {date} in\n{text}");
        }
    }
}

#[test]
fn legal_documents_write_amounts_in_words() {
    let text = render(DocumentTemplate::Contract, Locale::Es, "Ana Núñez");
    assert!(text.contains("un millón doscientos cincuenta mil colones con 00/100"), "{text}");
    assert!(text.contains("12,5 % anual"), "{text}");
    assert!(text.contains("3-101-654321"), "the debtor's id: {text}");
    let text = render(DocumentTemplate::CollectionLetter, Locale::Es, "Ana Núñez");
    assert!(text.contains("Carta de Cobro Aviso Preventivo".to_uppercase().as_str()), "{text}");
    assert!(text.contains("aviso preventivo"), "not yet due: {text}");
}

#[test]
fn twenty_lines_run_onto_numbered_pages_and_total_correctly() {
    let text = render(DocumentTemplate::Invoice, Locale::Es, "Ana Núñez");
    for i in [1, 10, 20] {
        assert!(text.contains(&format!("Servicio de mantenimiento nº {i}")), "line {i}");
    }
    // 210 units × ₡12.500,00 = ₡2.625.000,00, plus 13 % = ₡341.250,00.
    assert!(text.contains("₡2.625.000,00") && text.contains("₡341.250,00"), "{text}");
    assert!(text.contains("Página 1 de"), "{text}");
}

#[test]
fn markup_in_the_data_appears_literally() {
    let text = render(DocumentTemplate::CaseLetter, Locale::Es, INJECTION);
    let literal = flat(INJECTION);
    assert!(text.matches(&literal).count() >= 2, "the customer's name and the paragraph, verbatim:\n{text}");
}

#[test]
fn the_same_request_renders_the_same_bytes_and_versions_are_stable() {
    let data = DocumentData::assemble(
        DocumentTemplate::Quote,
        context(Locale::Es, "Ana"),
        &fields(DocumentTemplate::Quote, INJECTION),
    )
    .unwrap();
    let at = "2026-11-22T15:00:00Z".parse().unwrap();
    let first = Renderer::shared().render(&data, at).unwrap();
    let second = Renderer::shared().render(&data, at).unwrap();
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(first.template_version.len(), 12);
    let versions: std::collections::HashSet<_> =
        DocumentTemplate::ALL.iter().map(|t| Renderer::shared().template_version(*t).to_owned()).collect();
    assert_eq!(versions.len(), DocumentTemplate::ALL.len(), "each template has its own version");
}

#[test]
fn only_embedded_fonts_are_used() {
    let families = Renderer::shared().font_families();
    assert!(families.iter().any(|f| f == "Libertinus Serif"), "{families:?}");
    let data = DocumentData::assemble(
        DocumentTemplate::Quote,
        context(Locale::Es, "Ana"),
        &fields(DocumentTemplate::Quote, INJECTION),
    )
    .unwrap();
    let pdf = Renderer::shared().render(&data, "2026-11-22T15:00:00Z".parse().unwrap()).unwrap().pdf;
    let output = Command::new("pdffonts").arg("-").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().map(|mut c| {
        c.stdin.take().unwrap().write_all(&pdf).unwrap();
        c.wait_with_output().unwrap()
    });
    let listing = String::from_utf8(output.expect("pdffonts (poppler-utils)").stdout).unwrap();
    assert!(listing.contains("LibertinusSerif"), "{listing}");
    for line in listing.lines().skip(2) {
        assert!(line.contains(" yes "), "every font is embedded: {line}");
    }
}
