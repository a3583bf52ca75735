//! The catalogue of templates the product ships. Case-type effects may name only these; the
//! notifications and documents workers render them from `templates/`.

/// E-mail templates (handlebars, `templates/email/{name}.{locale}.*`).
pub const EMAIL_TEMPLATES: &[&str] = &[
    "case_created",
    "case_assigned",
    "case_transitioned",
    "customer_alert",
    "sla_warning",
    "sla_breach",
    "sla_escalation",
    "lead_new_assignee",
    "lead_welcome",
    "invoice_reminder",
    "invoice_final_notice",
    "document_ready",
    "webhook_disabled",
];

/// The staff e-mail that a document was filed.
pub const DOCUMENT_READY: &str = "document_ready";

/// The new-lead alert to the assigned agent, and the prospect's acknowledgement.
pub const LEAD_ASSIGNED: &str = "lead_new_assignee";
pub const LEAD_WELCOME: &str = "lead_welcome";

pub fn is_email_template(name: &str) -> bool {
    EMAIL_TEMPLATES.contains(&name)
}

/// The staff console's page of a record (`section` is `cases`, `leads`…) under the tenant's
/// public URL: where a staff e-mail's link goes (signing in first, then straight there).
pub fn console_link(app_url: &str, section: &str, id: impl std::fmt::Display) -> String {
    format!("{}/app/{section}/{id}", app_url.trim_end_matches('/'))
}

/// Marketing e-mails: they carry an unsubscribe link and are not sent to opted-out addresses.
pub const MARKETING_TEMPLATES: &[&str] = &["lead_welcome"];

pub fn is_marketing(name: &str) -> bool {
    MARKETING_TEMPLATES.contains(&name)
}
