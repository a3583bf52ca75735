//! E-mail notifications: the embedded handlebars templates ([`templates`]), the data they read
//! ([`data`]), MIME messages ([`mime`]) and the exactly-once delivery of notification effects
//! ([`deliver`]). No AWS types: the SES v2 mailer and the local `.eml` outbox implement the
//! domain's `Mailer` port elsewhere.

pub mod data;
pub mod deliver;
pub mod mime;
pub mod templates;

pub use deliver::{Delivery, Notifier, NotifyError};
pub use templates::{Rendered, Templates};

#[cfg(test)]
mod tests {
    use super::*;
    use gestiona_domain::templates::EMAIL_TEMPLATES;

    #[test]
    fn every_template_renders_in_every_locale_with_its_fixture() {
        let templates = Templates::load().unwrap();
        for &locale in templates::LOCALES {
            for template in EMAIL_TEMPLATES {
                let rendered =
                    templates.render(template, locale, &data::fixture(template)).unwrap_or_else(|e| panic!("{e}"));
                assert!(!rendered.subject.is_empty() && !rendered.subject.contains('\n'), "{locale}/{template}");
                assert!(
                    rendered.html.contains("Cooperativa Médica del Norte"),
                    "{locale}/{template}: layout in the HTML part"
                );
                assert!(rendered.text.contains("María José Núñez"), "{locale}/{template}: greeting in the text part");
                assert!(!rendered.html.contains("{{") && !rendered.text.contains("{{"), "{locale}/{template}");
                let marketing = gestiona_domain::templates::is_marketing(template);
                assert_eq!(
                    rendered.html.contains("unsubscribe"),
                    marketing,
                    "{locale}/{template}: unsubscribe link only on marketing"
                );
            }
        }
    }

    #[test]
    fn locales_differ_and_unknown_locales_fall_back_to_spanish() {
        let templates = Templates::load().unwrap();
        let data = data::fixture("case_assigned");
        let es = templates.render("case_assigned", "es", &data).unwrap();
        let en = templates.render("case_assigned", "en", &data).unwrap();
        assert!(es.subject.starts_with("Se le asignó") && en.subject.starts_with("Assigned to you"));
        assert_eq!(templates.render("case_assigned", "fr", &data).unwrap(), es);
    }

    #[test]
    fn a_missing_variable_is_an_error_not_a_blank() {
        let templates = Templates::load().unwrap();
        let mut data = data::fixture("case_transitioned");
        data["step"].as_object_mut().unwrap().remove("resultName");
        let error = templates.render("case_transitioned", "es", &data).unwrap_err();
        assert!(error.to_string().contains("resultName"), "{error}");
        assert!(matches!(templates.render("nope", "es", &data), Err(templates::RenderError::UnknownTemplate(_))));
    }

    #[test]
    fn user_data_is_escaped_in_html_and_subjects_stay_one_line() {
        let templates = Templates::load().unwrap();
        let mut data = data::fixture("case_assigned");
        data["recipient"]["name"] = serde_json::json!("<script>alert('x')</script> Ana");
        data["case"]["subject"] = serde_json::json!("Cobro <b>urgente</b>\r\nBcc: victima@example.com");
        let rendered = templates.render("case_assigned", "es", &data).unwrap();
        assert!(!rendered.html.contains("<script>") && rendered.html.contains("&lt;script&gt;"));
        assert!(!rendered.html.contains("<b>urgente</b>"));
        assert!(!rendered.subject.contains('\r') && !rendered.subject.contains('\n'));
        assert!(rendered.text.contains("<script>alert('x')</script> Ana"), "plain text is not HTML-escaped");
    }

    #[test]
    fn mime_messages_parse_with_both_parts_and_a_decoded_subject() {
        let templates = Templates::load().unwrap();
        let rendered = templates.render("customer_alert", "es", &data::fixture("customer_alert")).unwrap();
        let envelope = mime::Envelope {
            from: "Cooperativa Médica <avisos@coop.example>",
            to_name: "María José Núñez",
            to_address: "maria@example.com",
            message_id: "<abc@gestiona>".into(),
            unsubscribe_url: None,
        };
        let attachment = mime::AttachmentFile {
            name: "carta.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.7".to_vec(),
        };
        let bytes = mime::build(&envelope, &rendered, Some(attachment)).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&bytes).expect("a valid MIME message");
        assert_eq!(parsed.subject(), Some(rendered.subject.as_str()));
        assert!(rendered.subject.contains("Actualización de su solicitud: Solicitud de crédito — garantía solidaria"));
        assert_eq!(parsed.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("María José Núñez"));
        assert_eq!(parsed.text_body_count(), 1);
        assert_eq!(parsed.html_body_count(), 1);
        assert!(parsed.body_text(0).unwrap().contains("Estado actual: Aprobado"));
        assert!(parsed.body_html(0).unwrap().contains("<strong>Solicitud de crédito — garantía solidaria</strong>"));
        assert_eq!(parsed.attachment_count(), 1);
        assert_eq!(parsed.message_id(), Some("abc@gestiona"));
        assert_eq!(parsed.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
    }
}
