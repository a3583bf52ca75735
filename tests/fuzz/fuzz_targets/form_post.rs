//! The public form endpoint's parser and normaliser on arbitrary bytes: the body parsers
//! (urlencoded and JSON), the phone normaliser, and the demo form's mapping of whatever they
//! accept. None may panic; whatever they accept must hold up (E.164 phones, lower-case e-mails,
//! bounded lengths).
#![no_main]

use gestiona_domain::form::PostMeta;
use gestiona_domain::lead::form_body::{parse_json, parse_urlencoded};
use gestiona_domain::lead::normalise_phone;
use gestiona_domain::service::seed::demo_form;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let form = demo_form();
    let meta = PostMeta { ip: "203.0.113.7".into(), ..Default::default() }
        .with_referrer(std::str::from_utf8(data).ok().map(|s| format!("https://acme.example/?{s}")));
    for parsed in [parse_urlencoded(data), parse_json(data)] {
        let Ok(fields) = parsed else { continue };
        assert!(fields.len() <= gestiona_domain::lead::form_body::MAX_FIELDS);
        if let Ok(mapped) = form.map(&fields, &meta) {
            assert!(!mapped.fields.name.is_empty() && mapped.fields.name.chars().count() <= 200);
            if let Some(email) = &mapped.fields.email {
                assert_eq!(email, &email.to_lowercase());
            }
            if let Some(phone) = &mapped.fields.phone {
                assert!(phone.starts_with('+') && phone[1..].chars().all(|c| c.is_ascii_digit()), "{phone}");
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(phone) = normalise_phone(text, "CR")
    {
        // Normalising is idempotent.
        assert_eq!(normalise_phone(&phone, "ES").as_deref(), Ok(phone.as_str()));
    }
});
