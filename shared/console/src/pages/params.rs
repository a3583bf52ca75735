//! A list's filters as its address carries them: the known parameters, trimmed, empty ones
//! left out, kept in a stable order so links, saved views and exports repeat them exactly.

use std::collections::BTreeMap;

pub struct Params {
    values: BTreeMap<&'static str, String>,
}

impl Params {
    /// The parameters of `query` among `names`; anything else is ignored.
    pub fn read(query: &str, names: &[&'static str]) -> Self {
        let mut values = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if let Some(known) = names.iter().find(|n| **n == name.as_ref()).filter(|_| !value.is_empty()) {
                values.insert(*known, value.to_owned());
            }
        }
        Self { values }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// The parameter's value, or empty.
    pub fn value(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    pub fn values(&self) -> &BTreeMap<&'static str, String> {
        &self.values
    }

    /// The parameters as a query string.
    pub fn query(&self) -> String {
        self.query_with(&[])
    }

    /// The parameters as a query string with `changes` applied (`None` removes one).
    pub fn query_with(&self, changes: &[(&'static str, Option<&str>)]) -> String {
        let mut values = self.values.clone();
        for (name, value) in changes {
            match value {
                Some(value) => values.insert(name, (*value).to_owned()),
                None => values.remove(name),
            };
        }
        form_urlencoded::Serializer::new(String::new()).extend_pairs(values.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_known_non_empty_parameters_in_a_stable_order() {
        let params = Params::read("z=1&status=+owed+&bucket=&agent=ana&status=paid", &["status", "bucket", "agent"]);
        assert_eq!(params.query(), "agent=ana&status=paid", "the last value wins; empty and unknown ones go");
        assert_eq!(params.query_with(&[("agent", None), ("bucket", Some("over90"))]), "bucket=over90&status=paid");
        assert_eq!(params.value("bucket"), "");
    }
}
