//! The JSON a template reads (`/data.json`): the document's data with every amount, date and
//! rate already written out in the document's language. Templates print these strings as text;
//! nothing in them is ever evaluated as typst markup.

use gestiona_domain::document::{DocumentBody, DocumentData, Locale, Party, Totals};
use serde_json::{Value, json};

use crate::format;

fn party(party: &Party) -> Value {
    json!({
        "name": party.name,
        "taxId": party.tax_id,
        "address": party.address,
        "email": party.email,
        "phone": party.phone,
        "attention": party.attention,
    })
}

fn totals(totals: &Totals, locale: Locale) -> Value {
    let lines: Vec<Value> = totals
        .lines
        .iter()
        .map(|line| {
            json!({
                "description": line.description,
                "quantity": line.quantity.to_string(),
                "unitPrice": format::money(&line.unit_price, locale),
                "amount": format::money(&line.amount, locale),
            })
        })
        .collect();
    json!({
        "lines": lines,
        "subtotal": format::money(&totals.subtotal, locale),
        "taxRate": totals.tax_rate_basis_points.map(|bp| format::percent(bp, locale)),
        "tax": format::money(&totals.tax, locale),
        "total": format::money(&totals.total, locale),
        "totalInWords": format::money_in_words(&totals.total, locale),
        "currency": totals.total.currency,
    })
}

/// The template's view of `data`.
pub fn of(data: &DocumentData) -> Value {
    let locale = data.locale;
    let body = match &data.body {
        DocumentBody::Quote { number, valid_until, totals: t, notes } => json!({
            "number": number,
            "validUntil": format::date(*valid_until, locale),
            "totals": totals(t, locale),
            "notes": notes,
        }),
        DocumentBody::Invoice { number, due_date, totals: t, notes } => json!({
            "number": number,
            "dueDate": format::date(*due_date, locale),
            "totals": totals(t, locale),
            "notes": notes,
        }),
        DocumentBody::CollectionLetter { reference, amount_due, due_date } => json!({
            "reference": reference,
            "amountDue": format::money(amount_due, locale),
            "amountDueInWords": format::money_in_words(amount_due, locale),
            "dueDate": format::date(*due_date, locale),
            "overdue": *due_date < data.issued_on,
        }),
        DocumentBody::CaseLetter { subject, paragraphs } => json!({
            "subject": subject,
            "paragraphs": paragraphs,
        }),
        DocumentBody::Contract {
            principal,
            due_date,
            place,
            annual_interest_basis_points,
            late_interest_basis_points,
        } => {
            json!({
                "principal": format::money(principal, locale),
                "principalInWords": format::money_in_words(principal, locale),
                "dueDate": format::date(*due_date, locale),
                "place": place,
                "annualInterest": annual_interest_basis_points.map(|bp| format::percent(bp, locale)),
                "lateInterest": late_interest_basis_points.map(|bp| format::percent(bp, locale)),
            })
        }
    };
    json!({
        "lang": match locale { Locale::Es => "es", Locale::En => "en" },
        "title": data.template().title(locale),
        "issuedOn": format::date(data.issued_on, locale),
        "documentId": data.document_id.to_string(),
        "issuer": party(&data.issuer),
        "customer": party(&data.customer),
        "case": {"id": data.case.id.to_string(), "subject": data.case.subject, "type": data.case.case_type},
        "body": body,
    })
}
