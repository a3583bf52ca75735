//! The e-mail templates, embedded from `templates/email/` and compiled once per process.
//!
//! One handlebars registry per locale and part: the HTML registry escapes every value (user
//! data can never become markup), the text and subject registries do not. All are strict: a
//! variable missing from the data is an error, never an empty string in a customer's inbox.

use std::collections::HashMap;
use std::sync::OnceLock;

use gestiona_domain::templates::EMAIL_TEMPLATES;
use handlebars::Handlebars;
use include_dir::{Dir, include_dir};
use serde::Serialize;

static EMAIL: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../templates/email");

pub const LOCALES: &[&str] = &["es", "en"];
pub const DEFAULT_LOCALE: &str = "es";

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no e-mail template '{0}'")]
    UnknownTemplate(String),
    #[error("template {template} ({locale}): {reason}")]
    Render { template: String, locale: String, reason: String },
}

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

struct LocaleTemplates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
}

pub struct Templates {
    locales: HashMap<&'static str, LocaleTemplates>,
}

fn source(locale: &str, file: &str) -> Result<&'static str, String> {
    let path = format!("{locale}/{file}");
    EMAIL.get_file(&path).and_then(|f| f.contents_utf8()).ok_or_else(|| format!("missing templates/email/{path}"))
}

impl Templates {
    /// Compiles every template of the catalogue for every locale; any missing or malformed file
    /// is an error here, at start-up, not when a customer's e-mail is due.
    pub fn load() -> Result<Self, String> {
        let mut locales = HashMap::new();
        for &locale in LOCALES {
            let mut html = Handlebars::new();
            html.set_strict_mode(true);
            let mut text = Handlebars::new();
            text.set_strict_mode(true);
            text.register_escape_fn(handlebars::no_escape);
            html.register_partial("layout", source(locale, "layout.html.hbs")?).map_err(|e| e.to_string())?;
            text.register_partial("layout", source(locale, "layout.txt.hbs")?).map_err(|e| e.to_string())?;
            for name in EMAIL_TEMPLATES {
                html.register_template_string(name, source(locale, &format!("{name}.html.hbs"))?)
                    .map_err(|e| format!("{locale}/{name}.html: {e}"))?;
                text.register_template_string(name, source(locale, &format!("{name}.txt.hbs"))?)
                    .map_err(|e| format!("{locale}/{name}.txt: {e}"))?;
                let subject = format!("{name}.subject");
                text.register_template_string(&subject, source(locale, &format!("{name}.subject.hbs"))?)
                    .map_err(|e| format!("{locale}/{subject}: {e}"))?;
            }
            locales.insert(locale, LocaleTemplates { html, text });
        }
        Ok(Self { locales })
    }

    /// The templates of this process, compiled on first use.
    pub fn shared() -> &'static Templates {
        static TEMPLATES: OnceLock<Templates> = OnceLock::new();
        TEMPLATES.get_or_init(|| Templates::load().expect("the embedded e-mail templates compile"))
    }

    /// Renders `template` in `locale` (falling back to the default locale) with `data`.
    pub fn render<T: Serialize>(&self, template: &str, locale: &str, data: &T) -> Result<Rendered, RenderError> {
        if !EMAIL_TEMPLATES.contains(&template) {
            return Err(RenderError::UnknownTemplate(template.into()));
        }
        let locale = if self.locales.contains_key(locale) { locale } else { DEFAULT_LOCALE };
        let set = &self.locales[locale];
        let error = |e: handlebars::RenderError| RenderError::Render {
            template: template.into(),
            locale: locale.into(),
            reason: e.to_string(),
        };
        let subject = set.text.render(&format!("{template}.subject"), data).map_err(error)?;
        Ok(Rendered {
            // A subject is one line: no header can be smuggled in through user data.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            html: set.html.render(template, data).map_err(error)?,
            text: set.text.render(template, data).map_err(error)?,
        })
    }
}
