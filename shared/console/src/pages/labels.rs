//! The words pages show for the domain's enumerations, from the message catalogue.

use gestiona_domain::access::{Module, Operation, Scope};
use gestiona_domain::case::{Channel, Priority};
use gestiona_domain::field_access::FieldAccess;
use gestiona_domain::messages as msg;
use gestiona_domain::webhook::{DeliveryStatus, WebhookEventType};
use gestiona_domain::{Locale, Message, Role};

pub const PRIORITIES: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];
pub const CHANNELS: [Channel; 8] = [
    Channel::Email,
    Channel::Phone,
    Channel::Web,
    Channel::WalkIn,
    Channel::Whatsapp,
    Channel::Chat,
    Channel::Social,
    Channel::Other,
];

/// The priority a wire name names.
pub fn parse_priority(text: &str) -> Option<Priority> {
    PRIORITIES.into_iter().find(|p| priority_key(*p) == text)
}

/// The channel a wire name names.
pub fn parse_channel(text: &str) -> Option<Channel> {
    CHANNELS.into_iter().find(|c| channel_key(*c) == text)
}

/// The priority's wire name (`urgent`), also the badge's class.
pub fn priority_key(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

pub fn priority(priority: Priority, locale: Locale) -> String {
    let message = match priority {
        Priority::Low => msg::ui_priority_low(),
        Priority::Normal => msg::ui_priority_normal(),
        Priority::High => msg::ui_priority_high(),
        Priority::Urgent => msg::ui_priority_urgent(),
    };
    message.render(locale)
}

/// The channel's wire name (`walkIn`).
pub fn channel_key(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Phone => "phone",
        Channel::Web => "web",
        Channel::WalkIn => "walkIn",
        Channel::Whatsapp => "whatsapp",
        Channel::Chat => "chat",
        Channel::Social => "social",
        Channel::Other => "other",
    }
}

/// How a lead reached the company (its attribution's channel), in words; a channel this code
/// does not know is shown as stored.
pub fn lead_channel(channel: &str, locale: Locale) -> String {
    match channel {
        "webForm" => msg::ui_lead_from_web_form().render(locale),
        "manual" => msg::ui_lead_entered_by_staff().render(locale),
        other => other.to_owned(),
    }
}

pub fn channel(channel: Channel, locale: Locale) -> String {
    let message: Message = match channel {
        Channel::Email => msg::ui_channel_email(),
        Channel::Phone => msg::ui_channel_phone(),
        Channel::Web => msg::ui_channel_web(),
        Channel::WalkIn => msg::ui_channel_walk_in(),
        Channel::Whatsapp => msg::ui_channel_whatsapp(),
        Channel::Chat => msg::ui_channel_chat(),
        Channel::Social => msg::ui_channel_social(),
        Channel::Other => msg::ui_channel_other(),
    };
    message.render(locale)
}

/// What a webhook event announces, in words.
pub fn webhook_event(event: WebhookEventType) -> Message {
    match event {
        WebhookEventType::CaseCreated => msg::ui_event_case_created(),
        WebhookEventType::CaseUpdated => msg::ui_event_case_updated(),
        WebhookEventType::CaseTransitioned => msg::ui_event_case_transitioned(),
        WebhookEventType::CaseClosed => msg::ui_event_case_closed(),
        WebhookEventType::LeadCaptured => msg::ui_event_lead_captured(),
        WebhookEventType::LeadConverted => msg::ui_event_lead_converted(),
        WebhookEventType::InvoiceCreated => msg::ui_event_invoice_created(),
        WebhookEventType::InvoicePaid => msg::ui_event_invoice_paid(),
        WebhookEventType::InvoiceOverdue => msg::ui_event_invoice_overdue(),
        WebhookEventType::DocumentReady => msg::ui_event_document_ready(),
    }
}

pub fn delivery_status(status: DeliveryStatus) -> Message {
    match status {
        DeliveryStatus::Pending => msg::ui_delivery_pending(),
        DeliveryStatus::Delivered => msg::ui_delivery_delivered(),
        DeliveryStatus::Failed => msg::ui_delivery_failed(),
    }
}

pub fn module(module: Module) -> Message {
    match module {
        Module::Accounts => msg::ui_module_accounts(),
        Module::Contacts => msg::ui_module_contacts(),
        Module::Leads => msg::ui_module_leads(),
        Module::Opportunities => msg::ui_module_opportunities(),
        Module::Products => msg::ui_module_products(),
        Module::Cases => msg::ui_module_cases(),
        Module::Documents => msg::ui_module_documents(),
        Module::Receivables => msg::ui_module_receivables(),
        Module::Reports => msg::ui_module_reports(),
        Module::Configuration => msg::ui_module_configuration(),
    }
}

pub fn operation(operation: Operation) -> Message {
    match operation {
        Operation::Create => msg::ui_operation_create(),
        Operation::Read => msg::ui_operation_read(),
        Operation::Update => msg::ui_operation_update(),
        Operation::Archive => msg::ui_operation_archive(),
        Operation::Export => msg::ui_operation_export(),
    }
}

pub fn scope(scope: Scope) -> Message {
    match scope {
        Scope::Own => msg::ui_scope_own(),
        Scope::Team => msg::ui_scope_team(),
        Scope::Branch => msg::ui_scope_branch(),
        Scope::All => msg::ui_scope_all(),
    }
}

pub fn level(role: Role) -> Message {
    match role {
        Role::Agent => msg::ui_level_agent(),
        Role::Supervisor => msg::ui_level_supervisor(),
        Role::Admin => msg::ui_level_admin(),
    }
}

/// What a profile may do with a field, as the profile page names it.
pub fn field_access(access: FieldAccess) -> Message {
    match access {
        FieldAccess::ReadWrite => msg::ui_read_write(),
        FieldAccess::ReadOnly => msg::ui_read_only(),
        FieldAccess::Hidden => msg::ui_hidden(),
    }
}

/// A standard restrictable field's label (see `field_access::restrictable`).
pub fn restrictable_field(field: &str) -> Option<Message> {
    Some(match field {
        "taxId" => msg::ui_tax_id(),
        "email" => msg::ui_email(),
        "phone" => msg::ui_phone(),
        "website" => msg::ui_website(),
        "industry" => msg::ui_industry(),
        "branch" => msg::ui_branch(),
        "owner" => msg::ui_owner(),
        "title" => msg::ui_job_title(),
        "locale" => msg::ui_language(),
        "company" => msg::ui_company(),
        "message" => msg::ui_message(),
        "description" => msg::ui_description(),
        "amount" => msg::ui_amount(),
        _ => return None,
    })
}
