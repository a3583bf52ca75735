//! What Gestiona says to people, in Spanish and English, from one catalogue.
//!
//! Every validation reason and every problem title or detail is a [`Message`]: a catalogue
//! entry (a stable `code`, the English and the Spanish wording) and its arguments. The domain
//! builds messages; the edge renders them in the reader's [`Locale`] (`Accept-Language` on the
//! API, the form's language on the public form page). Entries are declared once, in
//! [`catalogue`], with the arguments they take, so a message that does not exist or misses an
//! argument does not compile.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The languages Gestiona speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Locale {
    Es,
    En,
}

impl Locale {
    /// `es` unless the tag's language is English (`en`, `en-US`).
    pub fn from_tag(tag: &str) -> Self {
        if tag.get(..2).is_some_and(|l| l.eq_ignore_ascii_case("en")) { Locale::En } else { Locale::Es }
    }

    /// The first language Gestiona speaks that an `Accept-Language` value prefers (by quality,
    /// `q=0` meaning "not this one"); `None` when it names neither. Each edge picks its default.
    pub fn preferred(accept_language: &str) -> Option<Self> {
        accept_language::parse_with_quality(accept_language).into_iter().filter(|(_, quality)| *quality > 0.0).find_map(
            |(tag, _)| match tag.split('-').next().map(str::to_ascii_lowercase).as_deref() {
                Some("es") => Some(Locale::Es),
                Some("en") => Some(Locale::En),
                _ => None,
            },
        )
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
        }
    }
}

/// One catalogue entry: `{name}` in the wording stands for the argument of that name.
#[derive(Debug, PartialEq, Eq)]
pub struct Text {
    /// Stable: clients may switch on it; the wording may improve.
    pub code: &'static str,
    pub params: &'static [&'static str],
    pub en: &'static str,
    pub es: &'static str,
}

impl Text {
    fn wording(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => self.es,
            Locale::En => self.en,
        }
    }
}

/// A catalogue entry with its arguments, ready to be rendered in any locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    text: &'static Text,
    args: Vec<(&'static str, String)>,
}

impl Message {
    #[doc(hidden)]
    pub fn new(text: &'static Text, args: Vec<(&'static str, String)>) -> Self {
        Self { text, args }
    }

    pub fn code(&self) -> &'static str {
        self.text.code
    }

    /// The message a record kept as its code and arguments, if the catalogue still has that
    /// entry with those arguments (a record outlives wording changes, not code removals).
    pub fn from_record(code: &str, args: &BTreeMap<String, String>) -> Option<Self> {
        let text = ALL.iter().find(|t| t.code == code)?;
        let args = text.params.iter().map(|p| Some((*p, args.get(*p)?.clone()))).collect::<Option<Vec<_>>>()?;
        Some(Self::new(text, args))
    }

    /// The arguments by name, as a record keeps them.
    pub fn args(&self) -> BTreeMap<String, String> {
        self.args.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect()
    }

    pub fn render(&self, locale: Locale) -> String {
        let wording = self.text.wording(locale);
        let mut out = String::with_capacity(wording.len() + 16);
        let mut rest = wording;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').map(|close| (&after[..close], close)) {
                Some((name, close)) if self.args.iter().any(|(n, _)| *n == name) => {
                    let value = self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
                    out.push_str(value.unwrap_or_default());
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// English: for logs and for the few records that keep a reason as text.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Locale::En))
    }
}

/// Declares catalogue entries: `name(arg, …) = "English", "Spanish";` makes the function
/// `name(arg: impl Display, …) -> Message` and lists the entry in [`ALL`].
macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident),* ) = $en:literal, $es:literal; )*) => {
        /// The entries themselves (the functions below build messages from them).
        #[allow(non_upper_case_globals)]
        pub mod texts {
            use super::super::Text;
            $( pub static $name: Text = Text {
                code: stringify!($name),
                params: &[$(stringify!($arg)),*],
                en: $en,
                es: $es,
            }; )*
        }
        $(
            $(#[$doc])*
            pub fn $name($($arg: impl std::fmt::Display),*) -> super::Message {
                super::Message::new(&texts::$name, vec![$((stringify!($arg), $arg.to_string())),*])
            }
        )*
        /// Every entry, for the catalogue's own checks.
        pub static ALL: &[&super::Text] = &[$(&texts::$name),*];
    };
}

mod catalogue;

pub use catalogue::*;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(wording: &str) -> BTreeSet<&str> {
        wording.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn every_entry_uses_its_arguments_in_both_languages() {
        let mut codes = BTreeSet::new();
        for text in ALL {
            assert!(codes.insert(text.code), "{} is declared twice", text.code);
            let params: BTreeSet<&str> = text.params.iter().copied().collect();
            assert_eq!(placeholders(text.en), params, "{}: English placeholders", text.code);
            assert_eq!(placeholders(text.es), params, "{}: Spanish placeholders", text.code);
            assert!(!text.en.trim().is_empty() && !text.es.trim().is_empty(), "{} has an empty wording", text.code);
        }
    }

    #[test]
    fn messages_render_in_either_language() {
        let message = too_long(5, 7);
        assert_eq!(message.code(), "too_long");
        assert_eq!(message.render(Locale::En), "must be at most 5 characters (got 7)");
        assert_eq!(message.render(Locale::Es), "debe tener como máximo 5 caracteres (tiene 7)");
        assert_eq!(message.to_string(), message.render(Locale::En));
    }

    #[test]
    fn a_recorded_message_renders_again_in_either_language() {
        let kept = too_long(5, 7);
        let again = Message::from_record(kept.code(), &kept.args()).expect("a catalogue entry");
        assert_eq!(again.render(Locale::Es), "debe tener como máximo 5 caracteres (tiene 7)");
        assert_eq!(Message::from_record("too_long", &BTreeMap::new()), None, "an argument is missing");
        assert_eq!(Message::from_record("no_such_code", &BTreeMap::new()), None);
    }

    #[test]
    fn arguments_are_inserted_once_and_never_re_expanded() {
        // A value that looks like a placeholder stays as the user wrote it.
        let message = unknown_state("{value}");
        assert_eq!(message.render(Locale::En), "unknown state '{value}'");
    }

    #[test]
    fn locales_come_from_language_tags() {
        assert_eq!(Locale::from_tag("en-US"), Locale::En);
        assert_eq!(Locale::from_tag("es-CR"), Locale::Es);
        assert_eq!(Locale::from_tag("pt"), Locale::Es);
        assert_eq!(Locale::preferred("fr, es;q=0.4, en;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::preferred("en;q=0, es-CR"), Some(Locale::Es));
        assert_eq!(Locale::preferred("de-DE"), None);
    }
}
