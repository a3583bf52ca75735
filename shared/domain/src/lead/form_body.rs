//! The body of a public form post, parsed strictly.
//!
//! `application/x-www-form-urlencoded` is decoded by hand-checked rules rather than leniently:
//! `+` is a space, `%XX` a byte, and the decoded bytes must be UTF-8. A lenient decoder would
//! turn bad bytes into U+FFFD and store mojibake in a lead; here the submitter is told which
//! field is broken. JSON bodies must be one object of strings (numbers and booleans are taken
//! as their text). Both shapes end as the same list of `(name, value)` pairs.

use percent_encoding::percent_decode;
use serde_json::Value;

use crate::messages::{self as msg, Message};

/// Most fields a form post may carry (a real form has a dozen).
pub const MAX_FIELDS: usize = 100;
/// Longest field name.
pub const MAX_NAME_BYTES: usize = 100;

/// What was wrong with a body, and which field (or `body`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BodyError {
    pub field: String,
    pub reason: Message,
}

fn error(field: impl Into<String>, reason: Message) -> BodyError {
    BodyError { field: field.into(), reason }
}

/// The submitted fields in order; a name may repeat (checkboxes), the mapper decides.
pub type Fields = Vec<(String, String)>;

/// Decodes one `application/x-www-form-urlencoded` component.
fn decode_component(raw: &[u8]) -> Result<String, Message> {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    // A `%` must start a two-digit hex escape; percent_decode leaves broken ones as is.
    let mut i = 0;
    while i < spaced.len() {
        if spaced[i] == b'%' {
            let ok = spaced.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return Err(msg::bad_percent_escape());
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| msg::not_utf8())
}

/// Parses `a=1&b=2`. Empty pairs (`a=1&&b=2`) are skipped, as browsers never send them but
/// hand-written clients do.
pub fn parse_urlencoded(body: &[u8]) -> Result<Fields, BodyError> {
    let mut fields = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode_component(raw_name).map_err(|reason| error("body", reason))?;
        check_name(&name)?;
        let value = decode_component(raw_value).map_err(|reason| error(name.clone(), reason))?;
        fields.push((name, value));
        if fields.len() > MAX_FIELDS {
            return Err(error("body", msg::at_most_fields(MAX_FIELDS)));
        }
    }
    Ok(fields)
}

/// Parses a JSON object of scalar values. Nested objects and arrays are refused by name.
pub fn parse_json(body: &[u8]) -> Result<Fields, BodyError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        let reason = message.rfind(" at line ").map_or(message.as_str(), |at| &message[..at]);
        error("body", msg::invalid_json(reason))
    })?;
    let Value::Object(map) = value else { return Err(error("body", msg::json_object())) };
    if map.len() > MAX_FIELDS {
        return Err(error("body", msg::at_most_fields(MAX_FIELDS)));
    }
    let mut fields = Vec::with_capacity(map.len());
    for (name, value) in map {
        check_name(&name)?;
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => return Err(error(name, msg::must_be_string())),
        };
        fields.push((name, text));
    }
    Ok(fields)
}

fn check_name(name: &str) -> Result<(), BodyError> {
    if name.is_empty() {
        return Err(error("body", msg::nameless_field()));
    }
    if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
        return Err(error("body", msg::bad_field_name(shown)));
    }
    Ok(())
}

/// For a body refused as too large: the name of its largest urlencoded field, so the error
/// can say which field was too long without decoding the whole body.
pub fn largest_urlencoded_field(body: &[u8]) -> Option<(String, usize)> {
    let pair = body.split(|&b| b == b'&').max_by_key(|p| p.len())?;
    let at = pair.iter().position(|&b| b == b'=')?;
    let name = decode_component(&pair[..at.min(3 * MAX_NAME_BYTES)]).ok()?;
    (!name.is_empty()).then(|| (name, pair.len() - at - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_bodies_decode_strictly() {
        let fields = parse_urlencoded(b"nombre=Jos%C3%A9+P%C3%A9rez&email=jose%40ejemplo.es&&vacio=&flag").unwrap();
        assert_eq!(
            fields,
            vec![
                ("nombre".into(), "José Pérez".into()),
                ("email".into(), "jose@ejemplo.es".into()),
                ("vacio".into(), String::new()),
                ("flag".into(), String::new()),
            ]
        );
        assert_eq!(parse_urlencoded(b"a=1%2B1%3D2").unwrap()[0].1, "1+1=2");
        let bad = parse_urlencoded(b"nombre=Jos%E9").unwrap_err();
        assert_eq!((bad.field.as_str(), bad.reason.code()), ("nombre", "not_utf8"));
        assert_eq!(parse_urlencoded(b"nombre=100%").unwrap_err().field, "nombre");
        assert_eq!(parse_urlencoded(b"nombre=%zz").unwrap_err().field, "nombre");
        assert_eq!(parse_urlencoded(b"=x").unwrap_err().field, "body");
        assert_eq!(parse_urlencoded(b"a%00b=x").unwrap_err().field, "body");
        let many: String = (0..=MAX_FIELDS).map(|i| format!("f{i}=x&")).collect();
        assert!(parse_urlencoded(many.as_bytes()).unwrap_err().reason.to_string().contains("at most"));
    }

    #[test]
    fn json_bodies_are_flat_objects() {
        let fields = parse_json(br#"{"nombre":"Ana","edad":41,"acepta":true,"nada":null}"#).unwrap();
        assert_eq!(fields.len(), 3);
        assert!(fields.contains(&("edad".into(), "41".into())));
        assert_eq!(parse_json(br#"{"nombre":["a"]}"#).unwrap_err().field, "nombre");
        assert_eq!(parse_json(b"[1]").unwrap_err().reason.code(), "json_object");
        assert!(parse_json(b"{\"a\":").unwrap_err().reason.to_string().starts_with("is not valid JSON"));
        assert!(parse_json(b"\xff\xfe").is_err());
    }

    #[test]
    fn the_largest_field_of_an_oversized_body_is_named() {
        let body = format!("nombre=Ana&mensaje={}&email=a%40b.es", "x".repeat(5000));
        assert_eq!(largest_urlencoded_field(body.as_bytes()), Some(("mensaje".into(), 5000)));
        assert_eq!(largest_urlencoded_field(b"xxxxxxxx"), None);
    }
}
