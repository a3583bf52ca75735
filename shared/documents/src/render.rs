//! typst as a library: the templates of `templates/documents/` and the fonts typst ships are
//! embedded in the binary; the world typst sees holds only those files and the document's data
//! as a virtual `/data.json`. No system fonts, no packages, no network, no other files.
//!
//! The fonts are parsed and the templates loaded once per process ([`Renderer::shared`]), and
//! typst's memoisation keeps compiled template modules between renders in a warm container; its
//! cache is trimmed after each render so a long-lived worker does not grow without bound.

use std::collections::HashMap;
use std::sync::OnceLock;

use gestiona_domain::document::{DocumentData, DocumentTemplate};
use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::view;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../templates/documents");

/// The library every template imports.
const SHARED_LIBRARY: &str = "lib.typ";
/// Where the document's data appears to the template.
const DATA_PATH: &str = "/data.json";
/// Compiled-module generations kept between renders.
const CACHE_GENERATIONS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// typst refused the template with this data: a template bug, reported with its messages.
    #[error("typst could not render {template}: {messages}")]
    Typst { template: &'static str, messages: String },
    #[error("no template file {0}.typ")]
    MissingTemplate(&'static str),
}

/// A rendered PDF and the template version that made it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    /// The first 12 hex digits of the SHA-256 of the template and the shared library.
    pub template_version: String,
    pub sha256: String,
}

/// The embedded fonts and templates.
pub struct Renderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    sources: HashMap<FileId, Source>,
    versions: HashMap<DocumentTemplate, String>,
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).expect("template paths are valid")).intern()
}

impl Renderer {
    /// Parses the embedded fonts and loads the templates (done once per process).
    pub fn new() -> Self {
        let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
        let book = FontBook::from_fonts(&fonts);
        let mut sources = HashMap::new();
        for file in TEMPLATES.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            if let (true, Some(text)) = (path.ends_with(".typ"), file.contents_utf8()) {
                let id = file_id(&format!("/{path}"));
                sources.insert(id, Source::new(id, text.to_owned()));
            }
        }
        let shared = TEMPLATES.get_file(SHARED_LIBRARY).map(|f| f.contents()).unwrap_or_default();
        let versions = DocumentTemplate::ALL
            .into_iter()
            .map(|template| {
                let own =
                    TEMPLATES.get_file(format!("{}.typ", template.key())).map(|f| f.contents()).unwrap_or_default();
                let mut hash = Sha256::new();
                hash.update(shared);
                hash.update([0]);
                hash.update(own);
                (template, hex::encode(hash.finalize())[..12].to_owned())
            })
            .collect();
        Self { library: LazyHash::new(Library::default()), book: LazyHash::new(book), fonts, sources, versions }
    }

    /// The renderer of this process, built on first use.
    pub fn shared() -> &'static Renderer {
        static RENDERER: OnceLock<Renderer> = OnceLock::new();
        RENDERER.get_or_init(Renderer::new)
    }

    /// The version of a template: changes whenever its source or the shared library changes.
    pub fn template_version(&self, template: DocumentTemplate) -> &str {
        &self.versions[&template]
    }

    /// The families of the embedded fonts.
    pub fn font_families(&self) -> Vec<String> {
        let mut families: Vec<String> = self.fonts.iter().map(|f| f.info().family.clone()).collect();
        families.dedup();
        families
    }

    /// Renders `data` with its template into a PDF. `created` is the PDF's creation date: the
    /// time of the request, so rendering the same request twice gives the same bytes.
    pub fn render(&self, data: &DocumentData, created: jiff::Timestamp) -> Result<Rendered, RenderError> {
        let template = data.template();
        let main = file_id(&format!("/{}.typ", template.key()));
        if !self.sources.contains_key(&main) {
            return Err(RenderError::MissingTemplate(template.key()));
        }
        let view = view::of(data);
        let world = DocumentWorld {
            renderer: self,
            main,
            data_id: file_id(DATA_PATH),
            data: Bytes::new(serde_json::to_vec(&view).expect("a view serialises")),
            today: data.issued_on,
        };
        let compiled = typst::compile::<PagedDocument>(&world);
        let document = compiled.output.map_err(|errors| self.typst_error(template, &errors))?;
        let utc = created.to_zoned(jiff::tz::TimeZone::UTC);
        let stamp = Datetime::from_ymd_hms(
            utc.year().into(),
            utc.month() as u8,
            utc.day() as u8,
            utc.hour() as u8,
            utc.minute() as u8,
            utc.second() as u8,
        );
        let options = typst_pdf::PdfOptions {
            ident: typst::foundations::Smart::Custom(data.document_id.to_string()),
            creator: typst::foundations::Smart::Custom(Some("Gestiona".into())),
            timestamp: stamp.map(typst_pdf::Timestamp::new_utc),
            ..Default::default()
        };
        let pdf = typst_pdf::pdf(&document, &options).map_err(|errors| self.typst_error(template, &errors))?;
        typst::comemo::evict(CACHE_GENERATIONS);
        let sha256 = hex::encode(Sha256::digest(&pdf));
        Ok(Rendered { pdf, template_version: self.template_version(template).to_owned(), sha256 })
    }

    fn typst_error(&self, template: DocumentTemplate, errors: &[SourceDiagnostic]) -> RenderError {
        let messages = errors
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        RenderError::Typst { template: template.key(), messages }
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

/// What typst sees while rendering one document.
struct DocumentWorld<'a> {
    renderer: &'a Renderer,
    main: FileId,
    data_id: FileId,
    data: Bytes,
    today: jiff::civil::Date,
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.renderer.sources.get(&id).cloned().ok_or(FileError::AccessDenied)
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            return Ok(self.data.clone());
        }
        match self.renderer.sources.get(&id) {
            Some(source) => Ok(Bytes::from_string(source.clone())),
            None => Err(FileError::AccessDenied),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.renderer.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Datetime::from_ymd(self.today.year().into(), self.today.month() as u8, self.today.day() as u8)
    }
}
