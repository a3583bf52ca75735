//! MIME messages: multipart/alternative (plain text and HTML), UTF-8 subjects encoded per
//! RFC 2047, a deterministic Message-ID, and an optional attachment.

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};

use crate::templates::Rendered;

#[derive(Debug, thiserror::Error)]
pub enum MimeError {
    #[error("invalid address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("the message could not be built: {0}")]
    Build(String),
}

/// A file to attach (e.g. the collection letter with a reminder).
pub struct AttachmentFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What the message is, besides its rendered parts.
pub struct Envelope<'a> {
    pub from: &'a str,
    pub to_name: &'a str,
    pub to_address: &'a str,
    /// Stable per effect and recipient, so a resend is recognisably the same message.
    pub message_id: String,
    /// Marketing messages carry `List-Unsubscribe`.
    pub unsubscribe_url: Option<&'a str>,
}

pub fn build(
    envelope: &Envelope<'_>,
    rendered: &Rendered,
    attachment: Option<AttachmentFile>,
) -> Result<Vec<u8>, MimeError> {
    let from: Mailbox = envelope.from.parse().map_err(|e: lettre::address::AddressError| MimeError::Address {
        address: envelope.from.into(),
        reason: e.to_string(),
    })?;
    let address = envelope.to_address.parse().map_err(|e: lettre::address::AddressError| MimeError::Address {
        address: envelope.to_address.into(),
        reason: e.to_string(),
    })?;
    let to = Mailbox::new(Some(envelope.to_name.to_owned()), address);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(envelope.message_id.clone()))
        // Automatic messages must not trigger auto-replies (RFC 3834).
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()));
    if let Some(url) = envelope.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")));
    }
    let body = MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
    let message = match attachment {
        None => builder.multipart(body),
        Some(file) => {
            let content_type = ContentType::parse(&file.content_type).map_err(|e| MimeError::Build(e.to_string()))?;
            let part = Attachment::new(file.name).body(file.bytes, content_type);
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(part))
        }
    }
    .map_err(|e| MimeError::Build(e.to_string()))?;
    Ok(message.formatted())
}
