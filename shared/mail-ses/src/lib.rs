//! The SES v2 mailer: sends the MIME message as it is (`Content.Raw`), with the tenant's sender
//! identity and the configuration set (bounce and complaint tracking).
//!
//! Error classes: SES's rate limits (`TooManyRequestsException`, `LimitExceededException`) are
//! `Throttled` (the notifier backs off); a message SES refuses as it is (`MessageRejected`, an
//! unverified sender domain, a malformed request) is `Permanent` (recorded, not retried);
//! everything else — account paused, configuration missing, network — is `Transient` (the
//! message is retried and, if it keeps failing, ends in the dead-letter queue).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use gestiona_domain::ports::{MailError, Mailer, OutgoingEmail};

#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, configuration_set: Option<String>) -> Self {
        Self { client, configuration_set }
    }
}

fn classify(error: SdkError<SendEmailError>) -> MailError {
    let service = match error {
        SdkError::ServiceError(e) => e.into_err(),
        other => return MailError::Transient(format!("{other:?}")),
    };
    let description = format!("{}: {}", service.code().unwrap_or("unknown"), service.message().unwrap_or_default());
    match service {
        SendEmailError::TooManyRequestsException(_) | SendEmailError::LimitExceededException(_) => {
            MailError::Throttled(description)
        }
        SendEmailError::MessageRejected(_)
        | SendEmailError::MailFromDomainNotVerifiedException(_)
        | SendEmailError::BadRequestException(_) => MailError::Permanent(description),
        _ => MailError::Transient(description),
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(email.mime.clone()))
            .build()
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        let output = self
            .client
            .send_email()
            .from_email_address(&email.from)
            .destination(Destination::builder().set_to_addresses(Some(email.to.clone())).build())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(classify)?;
        output.message_id.ok_or_else(|| MailError::Transient("SES returned no message id".into()))
    }
}
