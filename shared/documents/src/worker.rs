//! The documents worker's use case: render one document effect and file it, once.
//!
//! The document record was written `queued` with the request. The worker renders it, stores
//! the PDF under a deterministic key (tenant, case, template, template version, effect id) and
//! turns the record `ready` with a write conditioned on the version it read. A redelivered or
//! concurrent copy of the effect writes the same bytes to the same key and then finds the
//! record already filed: one object, one `documentFiled` event. Data that no longer meets the
//! template's contract (the account lost its tax id) marks the document failed, never retried.

use std::sync::Arc;

use gestiona_domain::Actor;
use gestiona_domain::document::{DocumentData, DocumentStatus, DocumentTemplate};
use gestiona_domain::effects::{EffectBody, EffectMessage, Subject};

use gestiona_domain::ports::{BlobStore, StoreError};
use gestiona_domain::service::Services;
use gestiona_domain::service::cases::GetCaseError;
use gestiona_domain::service::documents::{StoredFile, rendered_object_key};
use gestiona_domain::validation::ValidationErrors;

use crate::render::{RenderError, Renderer};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The message can never be processed (a poison message): it goes to the dead-letter queue.
    #[error("malformed document effect: {0}")]
    Malformed(String),
    /// A transient failure (store or blob store unavailable): SQS retries the message.
    #[error("retry later: {0}")]
    Retry(String),
}

impl From<StoreError> for DocumentError {
    fn from(e: StoreError) -> Self {
        Self::Retry(e.to_string())
    }
}

/// What happened to one document effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Rendered, stored and recorded on the case.
    Filed { object_key: String, size: usize },
    /// An earlier delivery of the same effect filed (or failed) it.
    Already,
    /// Cannot be rendered; recorded as `documentFailed` on the case.
    Failed(String),
}

pub struct DocumentWorker {
    services: Services,
    blobs: Arc<dyn BlobStore>,
    renderer: &'static Renderer,
}

impl DocumentWorker {
    pub fn new(services: Services, blobs: Arc<dyn BlobStore>, renderer: &'static Renderer) -> Self {
        Self { services, blobs, renderer }
    }

    pub async fn deliver(&self, message: &EffectMessage) -> Result<Outcome, DocumentError> {
        let effect = match &message.body {
            EffectBody::Document(job) => job,
            other => return Err(DocumentError::Malformed(format!("not a document effect: {}", other.label()))),
        };
        let Subject::Case { id: case_id } = effect.subject else {
            return Err(DocumentError::Malformed(format!("documents are filed on cases, not on {}", effect.subject)));
        };
        let document_id = effect.document_id.ok_or_else(|| {
            DocumentError::Malformed(format!("the effect names no document: no template '{}'", effect.template))
        })?;
        let tenant = &effect.tenant;
        let case = match self.services.get_case(&Actor::system(tenant), case_id).await {
            Ok(case) => case,
            Err(GetCaseError::NotFound) => {
                return Err(DocumentError::Malformed(format!("no case {case_id} in {tenant}")));
            }
            Err(GetCaseError::Store(e)) => return Err(e.into()),
        };
        let current = self
            .services
            .load_document(tenant, case_id, document_id)
            .await?
            .ok_or_else(|| DocumentError::Malformed(format!("no document {document_id} on case {case_id}")))?;
        match current.value.status {
            DocumentStatus::Queued => {}
            DocumentStatus::Ready | DocumentStatus::Failed => return Ok(Outcome::Already),
            DocumentStatus::AwaitingUpload => {
                return Err(DocumentError::Malformed("an upload is not rendered".into()));
            }
        }
        let Some(template) = DocumentTemplate::parse(&effect.template) else {
            let errors =
                ValidationErrors::single("template", gestiona_domain::messages::no_document_template(&effect.template));
            return self.fail(tenant, current, &case, errors).await;
        };
        let context = self
            .services
            .document_context(
                tenant,
                &case.value,
                current.value.id,
                effect.locale.as_deref(),
                current.value.requested_at,
            )
            .await?;
        let fields = self.services.fields_to_render(effect, template, &case.value, context.issued_on).await?;
        let data = match DocumentData::assemble(template, context, &fields) {
            Ok(data) => data,
            Err(errors) => return self.fail(tenant, current, &case, errors).await,
        };
        let rendered = match self.renderer.render(&data, current.value.requested_at) {
            Ok(rendered) => rendered,
            Err(error @ (RenderError::Typst { .. } | RenderError::MissingTemplate(_))) => {
                tracing::error!(%error, "template failed to render");
                return self
                    .fail(
                        tenant,
                        current,
                        &case,
                        ValidationErrors::single("template", gestiona_domain::messages::invalid_value(error)),
                    )
                    .await;
            }
        };
        let object_key =
            rendered_object_key(tenant, case_id, template.key(), &rendered.template_version, &message.effect_id);
        let etag = self
            .blobs
            .put(&object_key, &rendered.pdf, "application/pdf", &rendered.sha256)
            .await
            .map_err(|e| DocumentError::Retry(e.to_string()))?;
        let file = StoredFile {
            object_key: object_key.clone(),
            file_name: data.file_name(),
            size: rendered.pdf.len() as u64,
            sha256: rendered.sha256,
            etag,
            template_version: rendered.template_version,
        };
        if self.services.file_rendered(effect, current, &case, file).await? {
            Ok(Outcome::Filed { object_key, size: rendered.pdf.len() })
        } else {
            Ok(Outcome::Already)
        }
    }

    async fn fail(
        &self,
        tenant: &gestiona_domain::TenantId,
        current: gestiona_domain::Versioned<gestiona_domain::document::Document>,
        case: &gestiona_domain::Versioned<gestiona_domain::case::Case>,
        errors: ValidationErrors,
    ) -> Result<Outcome, DocumentError> {
        Ok(match self.services.fail_document(tenant, current, case, errors).await? {
            Some(reason) => Outcome::Failed(reason),
            None => Outcome::Already,
        })
    }
}
