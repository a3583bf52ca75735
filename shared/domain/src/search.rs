//! Word search across the records staff look for: accounts, contacts, cases, leads and
//! invoices. Each
//! record names the words it is found by (its [`SearchDoc`]), folded to lower-case ASCII so
//! accents and case do not matter. The use cases keep one index item per word in the same
//! write as the record, so the index is never behind it and a search is a key-range query:
//! "clavo" finds "Ferretería El Clavo", "jos" finds "José Núñez".

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Words shorter than this are neither indexed nor searched for.
pub const MIN_TERM_CHARS: usize = 2;
/// Longer words are indexed by their start.
const MAX_TERM_CHARS: usize = 40;
/// The words a record is found by, at most: bounds the index items of one write.
pub const MAX_WORDS: usize = 24;

/// What kind of record a search hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SearchKind {
    Account,
    Contact,
    Case,
    Lead,
    Invoice,
    /// A product of the catalogue: found in the catalogue's own index, not by the staff search.
    Product,
}

impl SearchKind {
    /// The module and the restrictable fields a hit's second line may show.
    pub fn detail_fields(self) -> (crate::access::Module, &'static [&'static str]) {
        use crate::access::Module;
        match self {
            SearchKind::Account => (Module::Accounts, &["taxId", "branch"]),
            SearchKind::Contact => (Module::Contacts, &["email", "phone"]),
            SearchKind::Lead => (Module::Leads, &["company", "email"]),
            SearchKind::Case => (Module::Cases, &[]),
            SearchKind::Invoice => (Module::Receivables, &[]),
            SearchKind::Product => (Module::Products, &[]),
        }
    }

    /// The kinds the staff search covers.
    pub const ALL: [SearchKind; 5] =
        [SearchKind::Account, SearchKind::Contact, SearchKind::Case, SearchKind::Lead, SearchKind::Invoice];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Account => "account",
            SearchKind::Contact => "contact",
            SearchKind::Case => "case",
            SearchKind::Lead => "lead",
            SearchKind::Invoice => "invoice",
            SearchKind::Product => "product",
        }
    }
}

/// How a record is found and shown in a list of hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchDoc {
    pub kind: SearchKind,
    /// The record's id: a ULID, or an invoice's number.
    pub id: String,
    /// The record's name or subject.
    pub title: String,
    /// A second line: the company, the e-mail, the case type.
    pub detail: String,
    /// Every folded word the record is found by.
    pub words: BTreeSet<String>,
}

impl SearchDoc {
    pub fn new(kind: SearchKind, id: impl ToString, title: &str, detail: &str, texts: &[Option<&str>]) -> Self {
        let words = words(texts.iter().flatten().copied().chain([title]));
        Self { kind, id: id.to_string(), title: title.to_owned(), detail: detail.to_owned(), words }
    }

    /// Whether the record has a word starting with every one of `terms`.
    pub fn matches(&self, terms: &[String]) -> bool {
        terms.iter().all(|term| self.words.iter().any(|word| word.starts_with(term.as_str())))
    }
}

/// A record that can be found by word.
pub trait Searchable {
    fn search_doc(&self) -> SearchDoc;
}

impl Searchable for crate::account::Account {
    fn search_doc(&self) -> SearchDoc {
        let detail = [&self.tax_id, &self.branch].into_iter().flatten().cloned().collect::<Vec<_>>().join(" · ");
        let texts = [self.tax_id.as_deref(), self.email.as_deref(), self.phone.as_deref()];
        SearchDoc::new(SearchKind::Account, self.id, &self.name, &detail, &texts)
    }
}

impl Searchable for crate::contact::Contact {
    fn search_doc(&self) -> SearchDoc {
        let name = match &self.last_name {
            Some(last) => format!("{} {last}", self.first_name),
            None => self.first_name.clone(),
        };
        let detail = self.email.clone().or_else(|| self.phone.clone()).unwrap_or_default();
        let texts = [self.email.as_deref(), self.phone.as_deref()];
        SearchDoc::new(SearchKind::Contact, self.id, &name, &detail, &texts)
    }
}

impl Searchable for crate::case::Case {
    fn search_doc(&self) -> SearchDoc {
        // Found by its number (the id staff quote) and its subject.
        let number = self.id.to_string();
        SearchDoc::new(SearchKind::Case, self.id, &self.subject, self.case_type.as_str(), &[Some(&number)])
    }
}

impl Searchable for crate::lead::Lead {
    fn search_doc(&self) -> SearchDoc {
        let f = &self.fields;
        let detail = f.company.clone().or_else(|| f.email.clone()).unwrap_or_default();
        let texts = [f.company.as_deref(), f.email.as_deref(), f.phone.as_deref()];
        SearchDoc::new(SearchKind::Lead, self.id, &f.name, &detail, &texts)
    }
}

impl Searchable for crate::receivables::Invoice {
    fn search_doc(&self) -> SearchDoc {
        // Found by its number, whole or by its parts ("0412"), and the words of its description.
        let number = self.number.to_string();
        let detail = self.description.clone().unwrap_or_default();
        SearchDoc::new(SearchKind::Invoice, &number, &number, &detail, &[self.description.as_deref()])
    }
}

impl Searchable for crate::sales::Product {
    fn search_doc(&self) -> SearchDoc {
        // Found by its code, its variants' codes and colours, and the words of its name, department and groups.
        let d = &self.details;
        let code = self.code.to_string();
        let detail =
            [&d.department, &d.group, &d.subgroup].into_iter().flatten().cloned().collect::<Vec<_>>().join(" · ");
        let variants: Vec<String> = d.variants.iter().map(|v| format!("{} {}", v.code, v.colour)).collect();
        let mut texts = vec![Some(code.as_str()), d.department.as_deref(), d.group.as_deref(), d.subgroup.as_deref()];
        texts.extend(variants.iter().map(|v| Some(v.as_str())));
        SearchDoc::new(SearchKind::Product, &code, &d.name, &detail, &texts)
    }
}

/// Lower case, accents and other marks removed (`Núñez` → `nunez`).
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The folded words of `texts`: every run of letters and digits, and every whitespace-separated
/// token that has punctuation inside (an e-mail, a case number, a tax id) as a whole.
pub fn words<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for text in texts {
        let folded = fold(text);
        for token in folded.split_whitespace() {
            let token = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            for run in token.split(|c: char| !c.is_ascii_alphanumeric()) {
                add(&mut found, run);
            }
            if token.contains(|c: char| !c.is_ascii_alphanumeric()) {
                add(&mut found, token);
            }
        }
    }
    // Bounded, keeping the longest words: they find the record most precisely.
    if found.len() > MAX_WORDS {
        let mut by_length: Vec<String> = found.into_iter().collect();
        by_length.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        by_length.truncate(MAX_WORDS);
        found = by_length.into_iter().collect();
    }
    found
}

fn add(found: &mut BTreeSet<String>, word: &str) {
    if word.chars().count() >= MIN_TERM_CHARS {
        found.insert(word.chars().take(MAX_TERM_CHARS).collect());
    }
}

/// The terms of a query, each to be matched as the start of a word; the longest first (it
/// narrows the index query most). Terms too short to search for are dropped.
pub fn query_terms(query: &str) -> Vec<String> {
    let folded = fold(query);
    // A token with punctuation inside ("maria.araya@", "cl-28") is matched as a whole, as
    // such tokens are indexed whole.
    let mut terms: Vec<String> = folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '(' | ')'))
        .map(|token| token.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|t| t.chars().count() >= MIN_TERM_CHARS)
        .map(|t| t.chars().take(MAX_TERM_CHARS).collect())
        .collect();
    terms.sort_by(|a: &String, b: &String| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EntityId;

    #[test]
    fn words_are_folded_and_split() {
        let found = words(["Ferretería El Clavo", "José Núñez", "maria.araya@rapidos.example", "CL-284571"]);
        for word in ["ferreteria", "el", "clavo", "jose", "nunez", "maria", "araya", "rapidos", "example"] {
            assert!(found.contains(word), "{word}: {found:?}");
        }
        assert!(found.contains("maria.araya@rapidos.example"), "the address as a whole");
        assert!(found.contains("cl-284571") && found.contains("284571"), "{found:?}");
        assert!(!found.contains("a"), "one-letter words are not indexed");
    }

    #[test]
    fn a_record_keeps_its_longest_words() {
        let all: Vec<String> = (0..40).map(|n| format!("{}{n:02}", "z".repeat(n % 7))).collect();
        let found = words(all.iter().map(String::as_str));
        assert_eq!(found.len(), MAX_WORDS);
        let shortest_kept = found.iter().map(String::len).min().unwrap();
        let longest_dropped = all.iter().filter(|w| !found.contains(*w)).map(String::len).max().unwrap();
        assert!(shortest_kept >= longest_dropped, "{found:?}");
    }

    #[test]
    fn queries_match_word_starts_in_any_order() {
        let doc = SearchDoc::new(
            SearchKind::Contact,
            EntityId::parse("01JD0000000000000000000000").unwrap(),
            "José Núñez",
            "Café Ñandú",
            &[Some("jose.nunez@nandu.example"), None],
        );
        assert!(doc.matches(&query_terms("jos")));
        assert!(doc.matches(&query_terms("NUÑ jo")));
        assert!(doc.matches(&query_terms("jose.nunez@nandu.example")));
        assert!(!doc.matches(&query_terms("jos perez")));
        assert_eq!(query_terms("  Núñez j  clavo "), ["clavo", "nunez"], "longest first, short terms dropped");
        assert!(query_terms("a b").is_empty());
    }
}
