//! *Formularios web*: the company's public lead forms, what each received, its address, and
//! the snippet that embeds it in the company's own site.

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, page};
use crate::session::SignedIn;
use crate::{Console, response};

pub struct FormView {
    pub id: String,
    pub name: String,
    pub url: String,
    /// An `<iframe>` of the ready-made page, to paste into a web page.
    pub snippet: String,
    pub accepted: i64,
    pub held: i64,
    pub dropped: i64,
    /// Sites allowed to post; empty: any.
    pub origins: String,
}

#[derive(Template)]
#[template(path = "web_forms.html")]
struct WebFormsPage {
    chrome: Chrome,
    forms: Vec<FormView>,
}

/// The address the public reaches this deployment at: the request's own host (the console
/// and the public form routes share one HTTP API), over HTTPS unless the proxy says otherwise.
fn public_origin(request: &Request) -> String {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let host = header("x-forwarded-host").or_else(|| header("host")).unwrap_or("localhost");
    let scheme = header("x-forwarded-proto")
        .unwrap_or(if host.starts_with("127.0.0.1") || host.starts_with("localhost") { "http" } else { "https" });
    format!("{scheme}://{host}")
}

/// Text as an HTML attribute value: the snippet is pasted into someone else's page.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `GET /app/leads/forms`.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "leads");
    let all = PageRequest::new(Some(100), None).expect("a valid page size");
    let found = match console.services.list_forms(&signed_in.actor, &all).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(?error, "the forms could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let origin = public_origin(request);
    let tenant = &signed_in.session.tenant;
    let forms = found
        .items
        .into_iter()
        .map(|form| {
            let form = form.value;
            let url = format!("{origin}/f/{tenant}/{}", form.id);
            let title = attribute(&form.definition.name);
            let snippet = format!(
                "<iframe src=\"{url}\" title=\"{title}\" width=\"100%\" height=\"720\" style=\"border:0\" loading=\"lazy\"></iframe>"
            );
            FormView {
                id: form.id.to_string(),
                name: form.definition.name.clone(),
                url,
                snippet,
                accepted: form.stats.accepted,
                held: form.stats.quarantined,
                dropped: form.stats.honeypot,
                origins: form.definition.allowed_origins.join(", "),
            }
        })
        .collect();
    page(StatusCode::OK, &WebFormsPage { chrome, forms })
}

#[cfg(test)]
mod tests {
    use super::public_origin;
    use lambda_http::{Body, Request};

    fn with(headers: &[(&'static str, &str)]) -> Request {
        let mut request = Request::new(Body::Empty);
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        request
    }

    #[test]
    fn the_public_address_is_the_requests_own() {
        assert_eq!(public_origin(&with(&[("host", "127.0.0.1:3000")])), "http://127.0.0.1:3000");
        let api = with(&[("host", "abc.execute-api.us-east-1.amazonaws.com"), ("x-forwarded-proto", "https")]);
        assert_eq!(public_origin(&api), "https://abc.execute-api.us-east-1.amazonaws.com");
        assert_eq!(public_origin(&with(&[("host", "crm.example.com")])), "https://crm.example.com");
    }

    #[test]
    fn a_forms_name_cannot_break_out_of_the_snippet() {
        assert_eq!(super::attribute("Contacto \"VIP\" <b> & más"), "Contacto &quot;VIP&quot; &lt;b&gt; &amp; más");
    }
}
