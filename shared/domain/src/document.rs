//! Documents filed on a case: the template catalogue, the data contract each template declares,
//! and the records of generated and uploaded files.
//!
//! A template's data is assembled from the store (the tenant as issuer, the case's account or
//! contact as customer, the case) plus the template's own fields, sent by staff or read from the
//! case's custom fields. [`DocumentData::assemble`] checks it against the template's contract and
//! refuses with every missing or invalid field named, so a document is never printed with
//! blanks. Money is integer minor units; totals are computed here, never in a template.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{EntityId, UserId};
use crate::messages as msg;
use crate::money::Money;
use crate::validation::{FieldProblem, ValidationErrors};

/// The document templates in `templates/documents/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DocumentTemplate {
    /// A priced quote [cotización].
    Quote,
    /// An invoice with lines, taxes and a due date [factura].
    Invoice,
    /// "Carta de Cobro Aviso Preventivo": a reminder of an amount that falls due.
    CollectionLetter,
    /// A letter to the case's customer with free text.
    CaseLetter,
    /// A promissory note [pagaré] between the tenant and the customer.
    Contract,
}

impl DocumentTemplate {
    pub const ALL: [DocumentTemplate; 5] = [
        DocumentTemplate::Quote,
        DocumentTemplate::Invoice,
        DocumentTemplate::CollectionLetter,
        DocumentTemplate::CaseLetter,
        DocumentTemplate::Contract,
    ];

    /// The template's file stem in `templates/documents/` and its name in the API.
    pub fn key(self) -> &'static str {
        match self {
            DocumentTemplate::Quote => "quote",
            DocumentTemplate::Invoice => "invoice",
            DocumentTemplate::CollectionLetter => "collection_letter",
            DocumentTemplate::CaseLetter => "case_letter",
            DocumentTemplate::Contract => "contract",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The fields staff supply (or the case's custom fields hold), as `(name, what, required)`.
    pub fn contract(self) -> &'static [(&'static str, &'static str, bool)] {
        const LINES: (&str, &str, bool) =
            ("lines", "1 to 200 lines: {description, quantity ≥ 1, unitPriceMinor ≥ 0}", true);
        const CURRENCY: (&str, &str, bool) = ("currency", "ISO 4217 code; the tenant's currency if absent", false);
        const TAX: (&str, &str, bool) = ("taxRatePercent", "0–100 with at most two decimals", false);
        const NOTES: (&str, &str, bool) = ("notes", "text, at most 2,000 characters", false);
        match self {
            DocumentTemplate::Quote => &[
                ("number", "text, at most 40 characters; the document's id if absent", false),
                ("validUntil", "date YYYY-MM-DD, not before the issue date", true),
                CURRENCY,
                LINES,
                TAX,
                NOTES,
            ],
            DocumentTemplate::Invoice => &[
                ("number", "text, at most 40 characters", true),
                ("dueDate", "date YYYY-MM-DD, not before the issue date", true),
                CURRENCY,
                LINES,
                TAX,
                NOTES,
            ],
            DocumentTemplate::CollectionLetter => &[
                ("reference", "the invoice or operation number, at most 40 characters", true),
                ("amountDueMinor", "integer minor units > 0", true),
                CURRENCY,
                ("dueDate", "date YYYY-MM-DD", true),
            ],
            DocumentTemplate::CaseLetter => &[
                ("subject", "text, at most 200 characters; the case's subject if absent", false),
                ("body", "text, paragraphs separated by blank lines, at most 10,000 characters", true),
            ],
            DocumentTemplate::Contract => &[
                ("principalMinor", "integer minor units > 0", true),
                CURRENCY,
                ("dueDate", "date YYYY-MM-DD, after the issue date", true),
                ("place", "city where it is signed and payable, at most 100 characters", true),
                ("annualInterestPercent", "0–100 with at most two decimals", false),
                ("lateInterestPercent", "0–100 with at most two decimals", false),
            ],
        }
    }

    /// The file name staff see (`Cotización Q-12.pdf`), in the document's language.
    pub fn title(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (DocumentTemplate::Quote, Locale::Es) => "Cotización",
            (DocumentTemplate::Quote, Locale::En) => "Quote",
            (DocumentTemplate::Invoice, Locale::Es) => "Factura",
            (DocumentTemplate::Invoice, Locale::En) => "Invoice",
            (DocumentTemplate::CollectionLetter, Locale::Es) => "Carta de Cobro Aviso Preventivo",
            (DocumentTemplate::CollectionLetter, Locale::En) => "Payment Reminder Notice",
            (DocumentTemplate::CaseLetter, Locale::Es) => "Carta",
            (DocumentTemplate::CaseLetter, Locale::En) => "Letter",
            (DocumentTemplate::Contract, Locale::Es) => "Pagaré",
            (DocumentTemplate::Contract, Locale::En) => "Promissory Note",
        }
    }
}

/// The languages documents are written in: those Gestiona speaks.
pub use crate::messages::Locale;

/// A person or company named on a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The person the document is addressed to, when the party is a company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
}

/// The case a document belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRef {
    pub id: EntityId,
    pub subject: String,
    pub case_type: String,
}

/// One priced line, with its amount computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedLine {
    pub description: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub amount: Money,
}

/// Lines, their sum, tax and total, all in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    /// Hundredths of a percent (`1300` is 13 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate_basis_points: Option<u32>,
    pub tax: Money,
    pub total: Money,
}

/// The template-specific part of a document, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum DocumentBody {
    Quote {
        number: String,
        valid_until: Date,
        totals: Totals,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    Invoice {
        number: String,
        due_date: Date,
        totals: Totals,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    CollectionLetter {
        reference: String,
        amount_due: Money,
        due_date: Date,
    },
    CaseLetter {
        subject: String,
        paragraphs: Vec<String>,
    },
    Contract {
        principal: Money,
        due_date: Date,
        place: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annual_interest_basis_points: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        late_interest_basis_points: Option<u32>,
    },
}

/// Everything a template reads, checked against its contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentData {
    pub locale: Locale,
    pub issued_on: Date,
    pub issuer: Party,
    pub customer: Party,
    pub case: CaseRef,
    /// The document's number in the case (its id) for templates that print one.
    pub document_id: EntityId,
    pub body: DocumentBody,
}

/// What [`DocumentData::assemble`] starts from: the parts read from the store.
#[derive(Debug, Clone)]
pub struct DocumentContext {
    pub locale: Locale,
    pub issued_on: Date,
    /// ISO 4217 code used when the fields name none.
    pub default_currency: String,
    pub issuer: Party,
    /// `None` when the case has neither account nor contact.
    pub customer: Option<Party>,
    pub case: CaseRef,
    pub document_id: EntityId,
}

const MAX_LINES: usize = 200;
const MAX_TEXT: usize = 200;
const MAX_NUMBER: usize = 40;

impl DocumentData {
    /// Checks `fields` against `template`'s contract and computes totals. Every problem is
    /// reported, under `fields.{name}` or, for data the store lacks, under the record to fix
    /// (`customer.taxId`).
    pub fn assemble(
        template: DocumentTemplate,
        context: DocumentContext,
        fields: &Map<String, Value>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let allowed: Vec<&str> = template.contract().iter().map(|(name, _, _)| *name).collect();
        for name in fields.keys() {
            if !allowed.contains(&name.as_str()) {
                errors.add(format!("fields.{name}"), msg::not_a_template_field(template.key()));
            }
        }
        let mut reader = FieldReader { fields, errors: &mut errors };
        for (name, _, required) in template.contract() {
            if *required && fields.get(*name).is_none_or(Value::is_null) {
                reader.errors.add(format!("fields.{name}"), msg::required_by_template());
            }
        }
        let currency = reader.currency(&context.default_currency);
        let issued_on = context.issued_on;
        let body = match template {
            DocumentTemplate::Quote => {
                let number =
                    reader.optional_text("number", MAX_NUMBER).unwrap_or_else(|| context.document_id.to_string());
                let valid_until = reader.date("validUntil");
                let totals = reader.totals(currency.as_deref());
                let notes = reader.optional_multiline("notes", 2_000);
                if let Some(date) = valid_until
                    && date < issued_on
                {
                    reader.errors.add("fields.validUntil", msg::not_before_issue_date(issued_on));
                }
                match (valid_until, totals) {
                    (Some(valid_until), Some(totals)) => {
                        Some(DocumentBody::Quote { number, valid_until, totals, notes })
                    }
                    _ => None,
                }
            }
            DocumentTemplate::Invoice => {
                let number = reader.optional_text("number", MAX_NUMBER);
                let due_date = reader.date("dueDate");
                let totals = reader.totals(currency.as_deref());
                let notes = reader.optional_multiline("notes", 2_000);
                if let Some(date) = due_date
                    && date < issued_on
                {
                    reader.errors.add("fields.dueDate", msg::not_before_issue_date(issued_on));
                }
                match (number, due_date, totals) {
                    (Some(number), Some(due_date), Some(totals)) => {
                        Some(DocumentBody::Invoice { number, due_date, totals, notes })
                    }
                    _ => None,
                }
            }
            DocumentTemplate::CollectionLetter => {
                let reference = reader.optional_text("reference", MAX_NUMBER);
                let amount = reader.positive_amount("amountDueMinor");
                let due_date = reader.date("dueDate");
                match (reference, amount, currency, due_date) {
                    (Some(reference), Some(amount), Some(currency), Some(due_date)) => {
                        Some(DocumentBody::CollectionLetter {
                            reference,
                            amount_due: Money { amount_minor: amount, currency },
                            due_date,
                        })
                    }
                    _ => None,
                }
            }
            DocumentTemplate::CaseLetter => {
                let subject = reader.optional_text("subject", MAX_TEXT).unwrap_or_else(|| context.case.subject.clone());
                let body = reader.optional_multiline("body", 10_000);
                body.map(|body| DocumentBody::CaseLetter {
                    subject,
                    paragraphs: body.split("\n\n").map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect(),
                })
            }
            DocumentTemplate::Contract => {
                let principal = reader.positive_amount("principalMinor");
                let due_date = reader.date("dueDate");
                let place = reader.optional_text("place", 100);
                let annual = reader.percent("annualInterestPercent");
                let late = reader.percent("lateInterestPercent");
                if let Some(date) = due_date
                    && date <= issued_on
                {
                    reader.errors.add("fields.dueDate", msg::after_issue_date(issued_on));
                }
                if context.customer.as_ref().is_some_and(|c| c.tax_id.is_none()) {
                    reader.errors.add("customer.taxId", msg::debtor_tax_id());
                }
                match (principal, currency, due_date, place) {
                    (Some(amount), Some(currency), Some(due_date), Some(place)) => Some(DocumentBody::Contract {
                        principal: Money { amount_minor: amount, currency },
                        due_date,
                        place,
                        annual_interest_basis_points: annual,
                        late_interest_basis_points: late,
                    }),
                    _ => None,
                }
            }
        };
        if context.customer.is_none() {
            errors.add("customer", msg::no_addressee());
        }
        match (body, context.customer) {
            (Some(body), Some(customer)) if errors.is_empty() => Ok(Self {
                locale: context.locale,
                issued_on,
                issuer: context.issuer,
                customer,
                case: context.case,
                document_id: context.document_id,
                body,
            }),
            _ => {
                if errors.is_empty() {
                    errors.add("fields", msg::incomplete());
                }
                Err(errors)
            }
        }
    }

    pub fn template(&self) -> DocumentTemplate {
        match self.body {
            DocumentBody::Quote { .. } => DocumentTemplate::Quote,
            DocumentBody::Invoice { .. } => DocumentTemplate::Invoice,
            DocumentBody::CollectionLetter { .. } => DocumentTemplate::CollectionLetter,
            DocumentBody::CaseLetter { .. } => DocumentTemplate::CaseLetter,
            DocumentBody::Contract { .. } => DocumentTemplate::Contract,
        }
    }

    /// The file name staff see: the template's title and the document's number.
    pub fn file_name(&self) -> String {
        let title = self.template().title(self.locale);
        let name = match &self.body {
            DocumentBody::Quote { number, .. } | DocumentBody::Invoice { number, .. } => format!("{title} {number}"),
            DocumentBody::CollectionLetter { reference, .. } => format!("{title} {reference}"),
            _ => format!("{title} {}", self.customer.name),
        };
        format!("{}.pdf", sanitise_file_name(&name))
    }
}

/// Reads typed fields, recording what is wrong under `fields.{name}`.
struct FieldReader<'a> {
    fields: &'a Map<String, Value>,
    errors: &'a mut ValidationErrors,
}

impl<'a> FieldReader<'a> {
    fn present(&self, name: &str) -> Option<&'a Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    fn optional_text(&mut self, name: &str, max: usize) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => self.errors.optional_text(&format!("fields.{name}"), Some(s), max, false),
            _ => {
                self.errors.add(format!("fields.{name}"), msg::must_be_text());
                None
            }
        }
    }

    fn optional_multiline(&mut self, name: &str, max: usize) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => self.errors.optional_text(&format!("fields.{name}"), Some(s), max, true),
            _ => {
                self.errors.add(format!("fields.{name}"), msg::must_be_text());
                None
            }
        }
    }

    fn date(&mut self, name: &str) -> Option<Date> {
        let value = self.present(name)?;
        match value.as_str().and_then(|s| s.parse::<Date>().ok()) {
            Some(date) => Some(date),
            None => {
                self.errors.add(format!("fields.{name}"), msg::date_format());
                None
            }
        }
    }

    fn currency(&mut self, default: &str) -> Option<String> {
        let code = match self.present("currency") {
            None => default.to_owned(),
            Some(Value::String(code)) => code.clone(),
            Some(_) => String::new(),
        };
        if iso_currency::Currency::from_code(&code).is_some() {
            Some(code)
        } else {
            self.errors.add("fields.currency", msg::currency_code());
            None
        }
    }

    fn positive_amount(&mut self, name: &str) -> Option<i64> {
        let value = self.present(name)?;
        match value.as_i64() {
            Some(amount) if (1..=crate::money::MAX_AMOUNT_MINOR).contains(&amount) => Some(amount),
            _ => {
                self.errors.add(format!("fields.{name}"), msg::positive_minor_units());
                None
            }
        }
    }

    /// A percentage with at most two decimals, as basis points.
    fn percent(&mut self, name: &str) -> Option<u32> {
        let value = self.present(name)?;
        let basis_points = value
            .as_f64()
            .map(|p| p * 100.0)
            .filter(|bp| (0.0..=10_000.0).contains(bp) && (bp - bp.round()).abs() < 1e-6);
        match basis_points {
            Some(bp) => Some(bp.round() as u32),
            None => {
                self.errors.add(format!("fields.{name}"), msg::percentage());
                None
            }
        }
    }

    fn totals(&mut self, currency: Option<&str>) -> Option<Totals> {
        let tax = self.percent("taxRatePercent");
        let lines = self.present("lines")?;
        let Some(lines) = lines.as_array().filter(|l| (1..=MAX_LINES).contains(&l.len())) else {
            self.errors.add("fields.lines", msg::line_count(MAX_LINES));
            return None;
        };
        let currency = currency?;
        let mut priced = Vec::with_capacity(lines.len());
        let mut subtotal: i128 = 0;
        for (i, line) in lines.iter().enumerate() {
            let field = format!("fields.lines[{i}]");
            let Some(line) = line.as_object() else {
                self.errors.add(field, msg::line_object());
                continue;
            };
            for key in line.keys() {
                if !["description", "quantity", "unitPriceMinor"].contains(&key.as_str()) {
                    self.errors.add(format!("{field}.{key}"), msg::not_a_line_field());
                }
            }
            let description = match line.get("description") {
                Some(Value::String(s)) => self.errors.text(&format!("{field}.description"), s, MAX_TEXT, false),
                _ => {
                    self.errors.add(format!("{field}.description"), msg::required_text());
                    None
                }
            };
            let quantity = line.get("quantity").and_then(Value::as_u64).filter(|q| (1..=1_000_000).contains(q));
            if quantity.is_none() {
                self.errors.add(format!("{field}.quantity"), msg::quantity());
            }
            let unit = line
                .get("unitPriceMinor")
                .and_then(Value::as_i64)
                .filter(|p| (0..=crate::money::MAX_AMOUNT_MINOR).contains(p));
            if unit.is_none() {
                self.errors.add(format!("{field}.unitPriceMinor"), msg::minor_units());
            }
            if let (Some(description), Some(quantity), Some(unit)) = (description, quantity, unit) {
                let amount = i128::from(quantity) * i128::from(unit);
                subtotal += amount;
                priced.push(PricedLine {
                    description,
                    quantity: quantity as u32,
                    unit_price: Money { amount_minor: unit, currency: currency.to_owned() },
                    amount: Money {
                        amount_minor: amount.min(i128::from(i64::MAX)) as i64,
                        currency: currency.to_owned(),
                    },
                });
            }
        }
        // Half-up rounding of the tax to the minor unit.
        let tax_amount = tax.map_or(0, |bp| (subtotal * i128::from(bp) + 5_000) / 10_000);
        let total = subtotal + tax_amount;
        if total > i128::from(crate::money::MAX_AMOUNT_MINOR) {
            self.errors.add("fields.lines", msg::total_too_large());
            return None;
        }
        if priced.len() != lines.len() {
            return None;
        }
        let money = |amount: i128| Money { amount_minor: amount as i64, currency: currency.to_owned() };
        Some(Totals {
            lines: priced,
            subtotal: money(subtotal),
            tax_rate_basis_points: tax,
            tax: money(tax_amount),
            total: money(total),
        })
    }
}

/// Keeps a file name to letters, digits, spaces and `-_.,()` so it is safe in a
/// `Content-Disposition` header and on every file system.
pub fn sanitise_file_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_alphanumeric() || " -_.,()".contains(c) { c } else { '_' }).collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let limited: String = trimmed.chars().take(120).collect();
    if limited.is_empty() { "document".into() } else { limited }
}

/// A `Content-Disposition` for downloading `file_name`: an ASCII fallback and the UTF-8 name
/// (RFC 6266 / 5987), so accented names survive every browser and the header stays ASCII.
pub fn attachment_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Where a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DocumentSource {
    /// Rendered from a template by the documents worker.
    Generated,
    /// A file staff uploaded.
    Uploaded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DocumentStatus {
    /// Waiting for the documents worker.
    Queued,
    /// Waiting for the staff member's upload to finish.
    AwaitingUpload,
    /// Stored and downloadable.
    Ready,
    /// Could not be rendered or the upload did not match what was announced; see `errors`.
    Failed,
}

/// A file filed on a case. The bytes live in the blob store under `objectKey`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    pub id: EntityId,
    pub case_id: EntityId,
    pub source: DocumentSource,
    pub status: DocumentStatus,
    pub file_name: String,
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub template: Option<DocumentTemplate>,
    /// The content hash of the template and its shared library that rendered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_id: Option<String>,
    /// Bytes, once stored (announced size while an upload is pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The blob store key: deterministic for generated documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_key: Option<String>,
    /// The blob store's entity tag of the object when it was filed (see
    /// [`BlobInfo::etag`](crate::ports::BlobInfo)); absent on documents filed before it was
    /// recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_etag: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    pub requested_at: Timestamp,
    pub requested_by: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<Timestamp>,
}

impl Document {
    /// A generated document waiting for the documents worker.
    pub fn queued(
        id: EntityId,
        case_id: EntityId,
        template: DocumentTemplate,
        file_name: String,
        effect_id: &str,
        at: Timestamp,
        by: &crate::Actor,
    ) -> Self {
        Self {
            id,
            case_id,
            source: DocumentSource::Generated,
            status: DocumentStatus::Queued,
            file_name,
            content_type: "application/pdf".into(),
            template: Some(template),
            template_version: None,
            effect_id: Some(effect_id.to_owned()),
            size: None,
            sha256: None,
            object_key: None,
            object_etag: None,
            errors: Vec::new(),
            requested_at: at,
            requested_by: by.user.clone(),
            ready_at: None,
        }
    }

    /// Whether `stored` is the object this document filed: the same size, and the same entity
    /// tag where one was recorded (older documents compare by size alone).
    pub fn is_filed_as(&self, stored: &crate::ports::BlobInfo) -> bool {
        self.size == Some(stored.size) && self.object_etag.as_ref().is_none_or(|etag| *etag == stored.etag)
    }
}

/// The content types staff may upload, and the largest upload.
pub const UPLOAD_CONTENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
];
pub const MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;
/// How long a presigned download or upload URL stays valid.
pub const PRESIGNED_URL_SECONDS: u64 = 300;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ports::BlobInfo;

    #[test]
    fn a_stored_object_is_the_filed_one_only_with_its_size_and_entity_tag() {
        let at = Timestamp::from_second(1_790_000_000).unwrap();
        let id = EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2C").unwrap();
        let by = crate::Actor::system(&crate::TenantId::parse("demo").unwrap());
        let mut document = Document::queued(id, id, DocumentTemplate::Quote, "q.pdf".into(), "e", at, &by);
        document.size = Some(10);
        let stored = |size, etag: &str| BlobInfo { size, content_type: "application/pdf".into(), etag: etag.into() };
        assert!(document.is_filed_as(&stored(10, "\"a\"")), "filed before tags were recorded: the size decides");
        assert!(!document.is_filed_as(&stored(11, "\"a\"")));
        document.object_etag = Some("\"a\"".into());
        assert!(document.is_filed_as(&stored(10, "\"a\"")));
        assert!(!document.is_filed_as(&stored(10, "\"b\"")), "same size, other content");
        document.size = None;
        assert!(!document.is_filed_as(&stored(10, "\"a\"")), "nothing filed");
    }

    fn context(customer_tax_id: Option<&str>) -> DocumentContext {
        DocumentContext {
            locale: Locale::Es,
            issued_on: jiff::civil::date(2026, 11, 22),
            default_currency: "CRC".into(),
            issuer: Party {
                name: "Cooperativa Médica del Norte".into(),
                tax_id: None,
                address: Some("Calle 5, San José".into()),
                email: None,
                phone: None,
                attention: None,
            },
            customer: Some(Party {
                name: "Transportes Núñez S.A.".into(),
                tax_id: customer_tax_id.map(Into::into),
                address: None,
                email: None,
                phone: None,
                attention: Some("María José Núñez".into()),
            }),
            case: CaseRef {
                id: EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2B").unwrap(),
                subject: "Renovación".into(),
                case_type: "credito".into(),
            },
            document_id: EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2C").unwrap(),
        }
    }

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn totals_are_computed_in_minor_units_with_half_up_tax() {
        let data = DocumentData::assemble(
            DocumentTemplate::Invoice,
            context(None),
            &fields(json!({
                "number": "F-1", "dueDate": "2026-12-22", "taxRatePercent": 13,
                "lines": [
                    {"description": "Consulta", "quantity": 3, "unitPriceMinor": 33_333},
                    {"description": "Insumos", "quantity": 1, "unitPriceMinor": 1}
                ]
            })),
        )
        .unwrap();
        let DocumentBody::Invoice { totals, .. } = &data.body else { panic!() };
        assert_eq!(totals.subtotal.amount_minor, 100_000);
        assert_eq!(totals.tax.amount_minor, 13_000);
        assert_eq!(totals.total.amount_minor, 113_000);
        assert_eq!(totals.lines[0].amount.amount_minor, 99_999);
        assert_eq!(data.file_name(), "Factura F-1.pdf");
    }

    #[test]
    fn every_missing_or_invalid_field_is_named() {
        let errors = DocumentData::assemble(
            DocumentTemplate::Invoice,
            context(None),
            &fields(json!({
                "dueDate": "2026-11-01", "currency": "XXQ", "colour": "red",
                "lines": [{"description": "", "quantity": 0, "unitPriceMinor": -1, "sku": "x"}]
            })),
        )
        .unwrap_err();
        let named: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        for field in ["fields.colour", "fields.number", "fields.currency", "fields.dueDate"] {
            assert!(named.contains(&field), "{field} in {named:?}");
        }
        let errors = DocumentData::assemble(
            DocumentTemplate::Quote,
            context(None),
            &fields(json!({"validUntil": "2026-12-01", "lines": [{"description": "", "quantity": 0, "unitPriceMinor": -1, "sku": "x"}]})),
        )
        .unwrap_err();
        let named: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            named,
            [
                "fields.lines[0].sku",
                "fields.lines[0].description",
                "fields.lines[0].quantity",
                "fields.lines[0].unitPriceMinor"
            ]
        );
    }

    #[test]
    fn a_promissory_note_needs_the_debtors_id_and_a_customer() {
        let note = json!({"principalMinor": 125_000_000, "dueDate": "2027-11-22", "place": "San José"});
        let errors =
            DocumentData::assemble(DocumentTemplate::Contract, context(None), &fields(note.clone())).unwrap_err();
        assert_eq!(errors.0[0].field, "customer.taxId");
        let data =
            DocumentData::assemble(DocumentTemplate::Contract, context(Some("3-101-123456")), &fields(note.clone()))
                .unwrap();
        assert_eq!(data.template(), DocumentTemplate::Contract);
        let mut no_customer = context(Some("x"));
        no_customer.customer = None;
        let errors = DocumentData::assemble(DocumentTemplate::Contract, no_customer, &fields(note)).unwrap_err();
        assert!(errors.0.iter().any(|e| e.field == "customer"));
    }

    #[test]
    fn letters_split_paragraphs_and_default_their_subject() {
        let data = DocumentData::assemble(
            DocumentTemplate::CaseLetter,
            context(None),
            &fields(json!({"body": "Estimada señora:\n\nLe informamos.\n\n\n#set page(width: 1cm)"})),
        )
        .unwrap();
        let DocumentBody::CaseLetter { subject, paragraphs } = data.body else { panic!() };
        assert_eq!(subject, "Renovación");
        assert_eq!(paragraphs, ["Estimada señora:", "Le informamos.", "#set page(width: 1cm)"]);
    }

    #[test]
    fn percentages_take_two_decimals_at_most() {
        let base = json!({"principalMinor": 1, "dueDate": "2027-01-01", "place": "Quito"});
        for (value, ok) in [(json!(12.5), true), (json!(0.25), true), (json!(12.345), false), (json!(101), false)] {
            let mut f = fields(base.clone());
            f.insert("annualInterestPercent".into(), value.clone());
            let result = DocumentData::assemble(DocumentTemplate::Contract, context(Some("1")), &f);
            assert_eq!(result.is_ok(), ok, "{value}");
        }
    }

    #[test]
    fn downloads_keep_accented_names_in_an_ascii_header() {
        assert_eq!(
            attachment_disposition("Cotización \"Q-1\".pdf"),
            "attachment; filename=\"Cotizaci_n _Q-1_.pdf\"; filename*=UTF-8''Cotizaci%C3%B3n%20%22Q-1%22.pdf"
        );
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(sanitise_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitise_file_name("Carta \"urgente\"\r\n.pdf"), "Carta _urgente___.pdf");
        assert_eq!(sanitise_file_name("..."), "document");
    }
}
