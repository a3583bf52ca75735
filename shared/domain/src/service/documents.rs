//! Documents on a case: asking for a generated one, uploading a file, listing and reading them,
//! and what the documents worker records when it has rendered one.
//!
//! A requested document is a `queued` record, its `documentRequested` event and its outbox entry,
//! written together; the worker turns the record `ready` (or `failed`) with a write conditioned on
//! the version it read, together with the `documentFiled` event and the "document ready" e-mail,
//! so a redelivered effect files nothing twice.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::outbox::{OutboxOwner, effect_id};
use super::{Services, conditions};
use crate::Versioned;
use crate::account::Account;
use crate::actor::Actor;
use crate::case::Case;
use crate::case_type::Recipient;
use crate::contact::Contact;
use crate::document::{
    CaseRef, Document, DocumentContext, DocumentData, DocumentSource, DocumentStatus, DocumentTemplate, Locale,
    MAX_UPLOAD_BYTES, Party, UPLOAD_CONTENT_TYPES, sanitise_file_name,
};
use crate::document_sources::{self, FieldSource};
use crate::effects::{DocumentJob, EffectMessage, Notification, Subject};
use crate::history::EventKind;
use crate::ids::{EntityId, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{BlobError, BlobStore, Condition, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::templates::DOCUMENT_READY;
use crate::validation::ValidationErrors;
use crate::webhook::WebhookEventType;

pub const ENTITY: &str = "CaseDocument";

/// `POST /cases/{id}/documents`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentRequest {
    /// A template of the catalogue (`quote`, `invoice`, `collection_letter`, `case_letter`, `contract`).
    pub template: String,
    /// `es` or `en`; the contact's language, else the tenant's, if absent.
    #[serde(default)]
    pub locale: Option<String>,
    /// The template's own fields (see `GET /document-templates`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    /// E-mail the case's owner when the document is ready.
    #[serde(default)]
    pub notify: bool,
}

/// `POST /cases/{id}/uploads`: what staff announce before uploading a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRequest {
    pub file_name: String,
    pub content_type: String,
    /// Bytes; the presigned URL accepts exactly this many.
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestDocumentError {
    #[error("no such case")]
    NotFound,
    #[error("the case is archived")]
    Archived,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetDocumentError {
    #[error("no such case or document")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum BeginUploadError {
    #[error("no such case")]
    NotFound,
    #[error("the case is archived")]
    Archived,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CompleteUploadError {
    #[error("no such case or document")]
    NotFound,
    /// The document is not an upload waiting for its file.
    #[error("the document is {0:?}, not awaiting an upload")]
    NotAwaiting(DocumentStatus),
    /// Nothing has been uploaded yet.
    #[error("the file has not been uploaded")]
    Missing,
    /// The stored object is not what was announced; the document is marked failed.
    #[error("{0}")]
    Mismatch(crate::Message),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a ready document's file is not handed out.
#[derive(Debug, thiserror::Error)]
pub enum DownloadLinkError {
    /// Nothing is stored under the document's key.
    #[error("the filed object is missing")]
    Missing,
    /// What is stored is not the object filed: another size or entity tag.
    #[error("the filed object was replaced")]
    Replaced,
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// A link that downloads a ready document's file for `expires_in` seconds, issued only after
/// the stored object is checked against what was filed (one `HEAD`): a replaced object is
/// refused, never handed out under the document's name.
pub async fn download_link(
    document: &Document,
    blobs: &dyn BlobStore,
    expires_in: u64,
) -> Result<String, DownloadLinkError> {
    let key = document.object_key.as_deref().ok_or(DownloadLinkError::Missing)?;
    let refused = match blobs.head(key).await? {
        Some(stored) if document.is_filed_as(&stored) => None,
        Some(_) => Some(DownloadLinkError::Replaced),
        None => Some(DownloadLinkError::Missing),
    };
    if let Some(refused) = refused {
        // Filed objects are written once: this is tampering or a lost object, never a retry.
        tracing::error!(document = %document.id, key, reason = %refused, "a filed document's object is not the one filed");
        return Err(refused);
    }
    Ok(blobs.presign_get(key, &document.file_name, expires_in).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum FileUploadError {
    #[error(transparent)]
    Begin(#[from] BeginUploadError),
    /// The file could not be stored; the document stays awaiting it, as an abandoned upload.
    #[error(transparent)]
    Store(#[from] BlobError),
    #[error(transparent)]
    Complete(#[from] CompleteUploadError),
}

/// A rendered file, as the worker stored it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub object_key: String,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    /// What the blob store answered to the put (see [`BlobInfo::etag`]).
    pub etag: String,
    pub template_version: String,
}

fn document_item(tenant: &TenantId, document: &Document, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::case_document(tenant, document.case_id, document.id), ENTITY, version, records::body(document)?))
}

/// Where a rendered document's file is kept: a path determined by the effect, so rendering
/// the same effect twice overwrites the same object.
pub fn rendered_object_key(
    tenant: &TenantId,
    case: EntityId,
    template: &str,
    template_version: &str,
    effect_id: &str,
) -> String {
    keys::document_object(tenant, case, template, template_version, effect_id)
}

impl Services {
    /// The fields to render `job` with: the staff's, or for a workflow effect its sources read
    /// from the case, from the note of the step that set it off, and from the issue date.
    pub async fn fields_to_render(
        &self,
        job: &DocumentJob,
        template: DocumentTemplate,
        case: &Case,
        issued_on: jiff::civil::Date,
    ) -> Result<Map<String, Value>, StoreError> {
        if let Some(fields) = &job.fields {
            return Ok(fields.clone());
        }
        let wants_note = job.sources.values().any(|s| matches!(s, FieldSource::Note));
        let note = match (&job.occurrence, wants_note) {
            (Some(occurrence), true) => match EntityId::parse(occurrence) {
                Ok(event) => self.case_event(&job.tenant, case.id, event).await?.and_then(|e| match e.kind {
                    EventKind::Transitioned { note, .. } => note,
                    _ => None,
                }),
                Err(_) => None,
            },
            _ => None,
        };
        Ok(document_sources::resolve(template, &job.sources, case, note.as_deref(), issued_on))
    }

    /// Issuer, customer and case for a document, read from the store. The language is the
    /// request's, else the case contact's, else the tenant's.
    pub async fn document_context(
        &self,
        tenant: &TenantId,
        case: &Case,
        document_id: EntityId,
        locale: Option<&str>,
        issued_at: jiff::Timestamp,
    ) -> Result<DocumentContext, StoreError> {
        let record = self.tenant(tenant).await?;
        let account: Option<Account> = match case.account_id {
            Some(id) => self.load::<Account>(&keys::account(tenant, id)).await?.map(|v| v.value),
            None => None,
        };
        let contact: Option<Contact> = match case.contact_id {
            Some(id) => self.load::<Contact>(&keys::contact(tenant, id)).await?.map(|v| v.value),
            None => None,
        };
        let contact_name = contact.as_ref().map(Contact::full_name);
        let customer = match (&account, &contact) {
            (Some(account), _) => Some(Party {
                name: account.name.clone(),
                tax_id: account.tax_id.clone(),
                address: None,
                email: account.email.clone().or_else(|| contact.as_ref().and_then(|c| c.email.clone())),
                phone: account.phone.clone(),
                attention: contact_name,
            }),
            (None, Some(contact)) => Some(Party {
                name: contact_name.unwrap_or_default(),
                tax_id: None,
                address: None,
                email: contact.email.clone(),
                phone: contact.phone.clone(),
                attention: None,
            }),
            (None, None) => None,
        };
        let locale = locale
            .or_else(|| contact.as_ref().and_then(|c| c.locale.as_deref()))
            .or(record.as_ref().map(|t| t.locale.as_str()))
            .map_or(Locale::Es, Locale::from_tag);
        let time_zone = record.as_ref().and_then(|t| jiff::tz::TimeZone::get(&t.time_zone).ok());
        let issued_on = issued_at.to_zoned(time_zone.unwrap_or(jiff::tz::TimeZone::UTC)).date();
        Ok(DocumentContext {
            locale,
            issued_on,
            default_currency: record.as_ref().map_or_else(|| "USD".to_owned(), |t| t.currency.clone()),
            issuer: Party {
                name: record.as_ref().map_or_else(|| tenant.to_string(), |t| t.name.clone()),
                tax_id: None,
                address: record.as_ref().and_then(|t| t.address.clone()),
                email: None,
                phone: None,
                attention: None,
            },
            customer,
            case: CaseRef { id: case.id, subject: case.subject.clone(), case_type: case.case_type.to_string() },
            document_id,
        })
    }

    /// Queues a document for rendering after checking its data now, so a request that could
    /// never render is refused with its fields named instead of failing later.
    pub async fn request_document(
        &self,
        actor: &Actor,
        case_id: EntityId,
        request: DocumentRequest,
    ) -> Result<Document, RequestDocumentError> {
        let tenant = &actor.tenant;
        let case = self.case_seen(actor, case_id).await?.ok_or(RequestDocumentError::NotFound)?;
        if case.value.archived {
            return Err(RequestDocumentError::Archived);
        }
        let template = DocumentTemplate::parse(&request.template).ok_or_else(|| {
            let names: Vec<&str> = DocumentTemplate::ALL.iter().map(|t| t.key()).collect();
            ValidationErrors::single("template", msg::one_of(names.join(", ")))
        })?;
        if let Some(locale) = &request.locale
            && !matches!(locale.as_str(), "es" | "en")
        {
            return Err(ValidationErrors::single("locale", msg::es_or_en()).into());
        }
        let document_id = self.new_id();
        let now = self.clock.now();
        let context = self.document_context(tenant, &case.value, document_id, request.locale.as_deref(), now).await?;
        let data = DocumentData::assemble(template, context, &request.fields)?;

        let occurrence = format!("document:{document_id}");
        let effect =
            effect_id(tenant, &format!("case:{case_id}"), &occurrence, &format!("document:{}", template.key()));
        let document = Document::queued(document_id, case_id, template, data.file_name(), &effect, now, actor);
        let mut job = DocumentJob::new(tenant, case_id, template.key());
        job.document_id = Some(document_id);
        job.locale = request.locale.clone();
        job.fields = Some(request.fields.clone());
        job.notify = request.notify;
        job.occurrence = Some(occurrence);
        let message = EffectMessage::new(effect.clone(), job);
        let requested =
            EventKind::DocumentRequested { document_id, template: template.key().into(), effect_id: Some(effect) };
        let ops = vec![
            WriteOp::Put {
                item: document_item(tenant, &document, 1)?,
                condition: Condition::not_exists(conditions::DOCUMENT),
            },
            self.history_op(actor, case_id, case.version, self.new_id(), requested)?,
            self.outbox_op(tenant, OutboxOwner::Case(case_id), &message)?,
            // The case must still exist and not be archived by a concurrent request.
            WriteOp::Check {
                key: keys::case(tenant, case_id),
                condition: Condition::version_is(conditions::CASE, case.version),
            },
        ];
        self.store.write(ops).await?;
        self.publish_committed(tenant, OutboxOwner::Case(case_id), std::slice::from_ref(&message)).await;
        Ok(document)
    }

    /// A case's documents, oldest first.
    pub async fn list_documents(&self, actor: &Actor, case_id: EntityId) -> Result<Vec<Document>, GetDocumentError> {
        if self.case_seen(actor, case_id).await?.is_none() {
            return Err(GetDocumentError::NotFound);
        }
        Ok(self.case_documents(&actor.tenant, case_id).await?)
    }

    /// The documents of a case known to exist, oldest first.
    pub(crate) async fn case_documents(
        &self,
        tenant: &TenantId,
        case_id: EntityId,
    ) -> Result<Vec<Document>, StoreError> {
        let query = Query::partition(keys::case_partition(tenant, case_id))
            .range(SortKeyRange::BeginsWith(keys::CASE_DOCUMENT_PREFIX.into()));
        self.read_all(query).await
    }

    pub async fn get_document(
        &self,
        actor: &Actor,
        case_id: EntityId,
        document_id: EntityId,
    ) -> Result<Versioned<Document>, GetDocumentError> {
        let (case, document) =
            futures::join!(self.case_seen(actor, case_id), self.load_document(&actor.tenant, case_id, document_id));
        case?.ok_or(GetDocumentError::NotFound)?;
        document?.ok_or(GetDocumentError::NotFound)
    }

    pub async fn load_document(
        &self,
        tenant: &TenantId,
        case_id: EntityId,
        document_id: EntityId,
    ) -> Result<Option<Versioned<Document>>, StoreError> {
        self.load(&keys::case_document(tenant, case_id, document_id)).await
    }

    /// Records an upload staff are about to make; the edge then hands out a presigned URL for
    /// exactly the announced type and size.
    pub async fn begin_upload(
        &self,
        actor: &Actor,
        case_id: EntityId,
        request: UploadRequest,
    ) -> Result<Document, BeginUploadError> {
        let tenant = &actor.tenant;
        let case = self.case_seen(actor, case_id).await?.ok_or(BeginUploadError::NotFound)?;
        if case.value.archived {
            return Err(BeginUploadError::Archived);
        }
        let mut errors = ValidationErrors::new();
        let file_name = errors.text("fileName", &request.file_name, 200, false).map(|n| sanitise_file_name(&n));
        let content_type = request.content_type.trim().to_ascii_lowercase();
        if !UPLOAD_CONTENT_TYPES.contains(&content_type.as_str()) {
            errors.add("contentType", msg::one_of(UPLOAD_CONTENT_TYPES.join(", ")));
        }
        if !(1..=MAX_UPLOAD_BYTES).contains(&request.size) {
            errors.add("size", msg::upload_size(MAX_UPLOAD_BYTES));
        }
        errors.finish()?;
        let file_name = file_name.unwrap_or_default();
        let id = self.new_id();
        let document = Document {
            id,
            case_id,
            source: DocumentSource::Uploaded,
            status: DocumentStatus::AwaitingUpload,
            object_key: Some(keys::uploaded_object(tenant, case_id, id, &file_name)),
            file_name,
            content_type,
            template: None,
            template_version: None,
            effect_id: None,
            size: Some(request.size),
            sha256: None,
            object_etag: None,
            errors: Vec::new(),
            requested_at: self.clock.now(),
            requested_by: actor.user.clone(),
            ready_at: None,
        };
        self.store
            .write(vec![
                WriteOp::Put {
                    item: document_item(tenant, &document, 1)?,
                    condition: Condition::not_exists(conditions::DOCUMENT),
                },
                WriteOp::Check { key: keys::case(tenant, case_id), condition: Condition::exists(conditions::CASE) },
            ])
            .await?;
        Ok(document)
    }

    /// Files a file received whole (the console's form without JavaScript) the way a direct
    /// upload is filed: announced, stored, then checked against the announcement.
    pub async fn file_upload(
        &self,
        actor: &Actor,
        case_id: EntityId,
        file_name: String,
        content_type: String,
        bytes: &[u8],
        blobs: &dyn BlobStore,
    ) -> Result<Document, FileUploadError> {
        let request = UploadRequest { file_name, content_type, size: bytes.len() as u64 };
        let document = self.begin_upload(actor, case_id, request).await?;
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        blobs.put(document.object_key.as_deref().unwrap_or_default(), bytes, &document.content_type, &sha256).await?;
        Ok(self.complete_upload(actor, case_id, document.id, blobs).await?)
    }

    /// Checks the uploaded object against what was announced and files it on the case.
    pub async fn complete_upload(
        &self,
        actor: &Actor,
        case_id: EntityId,
        document_id: EntityId,
        blobs: &dyn BlobStore,
    ) -> Result<Document, CompleteUploadError> {
        let tenant = &actor.tenant;
        let current = self.load_document(tenant, case_id, document_id).await?.ok_or(CompleteUploadError::NotFound)?;
        let mut document = current.value;
        if document.status != DocumentStatus::AwaitingUpload {
            return Err(CompleteUploadError::NotAwaiting(document.status));
        }
        let key = document.object_key.clone().unwrap_or_default();
        let info = blobs.head(&key).await?.ok_or(CompleteUploadError::Missing)?;
        let case_version = self.case_seen(actor, case_id).await?.ok_or(CompleteUploadError::NotFound)?.version;
        let announced = document.size.unwrap_or_default();
        let mismatch = if info.size != announced {
            Some(msg::upload_size_mismatch(info.size, announced))
        } else if !info.content_type.eq_ignore_ascii_case(&document.content_type) {
            Some(msg::upload_type_mismatch(&info.content_type, &document.content_type))
        } else {
            None
        };
        let event = if let Some(reason) = &mismatch {
            document.status = DocumentStatus::Failed;
            document.errors = vec![crate::FieldError::new("file", reason.clone()).record()];
            EventKind::DocumentFailed { document_id, reason: reason.to_string(), problems: document.errors.clone() }
        } else {
            let bytes = blobs.get(&key).await?.ok_or(CompleteUploadError::Missing)?;
            let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
            document.status = DocumentStatus::Ready;
            document.sha256 = Some(sha256.clone());
            document.object_etag = Some(info.etag.clone());
            document.ready_at = Some(self.clock.now());
            EventKind::DocumentFiled {
                document_id,
                file_name: document.file_name.clone(),
                size: info.size,
                sha256,
                template: None,
            }
        };
        self.store
            .write(vec![
                WriteOp::Put {
                    item: document_item(tenant, &document, current.version + 1)?,
                    condition: Condition::version_is(conditions::DOCUMENT, current.version),
                },
                self.history_op(actor, case_id, case_version, self.new_id(), event)?,
            ])
            .await
            .map_err(|e| match e {
                StoreError::ConditionFailed { name: conditions::DOCUMENT } => {
                    CompleteUploadError::NotAwaiting(DocumentStatus::Ready)
                }
                other => CompleteUploadError::Store(other),
            })?;
        match mismatch {
            Some(reason) => Err(CompleteUploadError::Mismatch(reason)),
            None => Ok(document),
        }
    }

    /// Files a rendered document: the record turns `ready` only if it is still the version the
    /// worker read, with its `documentFiled` event and, when asked, the owner's "document
    /// ready" e-mail. `Ok(false)` when another delivery filed it first.
    pub async fn file_rendered(
        &self,
        effect: &DocumentJob,
        current: Versioned<Document>,
        case: &Versioned<Case>,
        file: StoredFile,
    ) -> Result<bool, StoreError> {
        let tenant = &effect.tenant;
        let actor = Actor::system(tenant);
        let mut document = current.value;
        document.status = DocumentStatus::Ready;
        document.file_name = file.file_name.clone();
        document.object_key = Some(file.object_key);
        document.size = Some(file.size);
        document.sha256 = Some(file.sha256.clone());
        document.object_etag = Some(file.etag);
        document.template_version = Some(file.template_version);
        document.ready_at = Some(self.clock.now());
        let filed = EventKind::DocumentFiled {
            document_id: document.id,
            file_name: file.file_name.clone(),
            size: file.size,
            sha256: file.sha256,
            template: Some(effect.template.clone()),
        };
        let mut ops = vec![
            WriteOp::Put {
                item: document_item(tenant, &document, current.version + 1)?,
                condition: Condition::version_is(conditions::DOCUMENT, current.version),
            },
            self.history_op(&actor, case.value.id, case.version, self.new_id(), filed)?,
        ];
        let mut messages = Vec::new();
        if effect.notify && case.value.owner.is_some() {
            let occurrence = format!("document:{}", document.id);
            let id = effect_id(tenant, &format!("case:{}", case.value.id), &occurrence, DOCUMENT_READY);
            let mut notification =
                Notification::new(tenant, Subject::Case { id: case.value.id }, DOCUMENT_READY, Recipient::Owner);
            notification.users = case.value.owner.iter().cloned().collect();
            notification.contact_id = case.value.contact_id;
            notification.account_id = case.value.account_id;
            notification.occurrence = Some(occurrence);
            notification.context = Some(json!({"document": {"name": file.file_name, "id": document.id}}));
            let message = EffectMessage::new(id, notification);
            ops.push(self.outbox_op(tenant, OutboxOwner::Case(case.value.id), &message)?);
            messages.push(message);
        }
        let data = json!({
            "object": "document", "id": document.id, "version": current.version + 1, "caseId": case.value.id,
            "fileName": document.file_name, "template": effect.template, "size": document.size,
            "sha256": document.sha256,
        });
        let owner = OutboxOwner::Case(case.value.id);
        if let Some((op, message)) = self.announce(tenant, owner, WebhookEventType::DocumentReady, data).await? {
            ops.push(op);
            messages.push(message);
        }
        match self.store.write(ops).await {
            Ok(()) => {
                self.publish_committed(tenant, OutboxOwner::Case(case.value.id), &messages).await;
                Ok(true)
            }
            Err(StoreError::ConditionFailed { name: conditions::DOCUMENT }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Marks a queued document failed with the reasons it cannot be rendered (its data no
    /// longer meets the template's contract, or typst refused it). Never retried. The reasons
    /// on one line, or `None` when another delivery settled the document first.
    pub async fn fail_document(
        &self,
        tenant: &TenantId,
        current: Versioned<Document>,
        case: &Versioned<Case>,
        errors: ValidationErrors,
    ) -> Result<Option<String>, StoreError> {
        let actor = Actor::system(tenant);
        let mut document = current.value;
        document.status = DocumentStatus::Failed;
        let reason = errors.summary();
        document.errors = errors.record();
        let failed = EventKind::DocumentFailed {
            document_id: document.id,
            reason: reason.clone(),
            problems: document.errors.clone(),
        };
        let ops = vec![
            WriteOp::Put {
                item: document_item(tenant, &document, current.version + 1)?,
                condition: Condition::version_is(conditions::DOCUMENT, current.version),
            },
            self.history_op(&actor, case.value.id, case.version, self.new_id(), failed)?,
        ];
        match self.store.write(ops).await {
            Ok(()) => Ok(Some(reason)),
            Err(StoreError::ConditionFailed { name: conditions::DOCUMENT }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The queued document record a workflow result's document effect renders into.
    pub(crate) fn queued_document(
        &self,
        actor: &Actor,
        case_id: EntityId,
        template: DocumentTemplate,
        effect: &str,
    ) -> Result<(EntityId, WriteOp), StoreError> {
        let id = self.new_id();
        // The worker names the file once it knows the document's language and number.
        let file_name = format!("{}.pdf", template.title(Locale::Es));
        let document = Document::queued(id, case_id, template, file_name, effect, self.clock.now(), actor);
        let condition = Condition::not_exists(conditions::DOCUMENT);
        Ok((id, WriteOp::Put { item: document_item(&actor.tenant, &document, 1)?, condition }))
    }
}
