//! The console's static files, embedded in the binary and served under content-hashed names
//! with immutable caching: a new release has new names, so no browser keeps an old file.

use std::sync::OnceLock;

use http::{StatusCode, header};
use lambda_http::{Body, Response};
use sha2::{Digest, Sha256};

/// htmx 2.0.11 from the npm package `htmx.org` (`dist/htmx.min.js`, licence beside it).
const HTMX: &[u8] = include_bytes!("../assets/htmx-2.0.11.min.js");
const STYLESHEET: &[u8] = include_bytes!("../assets/console.css");
const SCRIPT: &[u8] = include_bytes!("../assets/console.js");

struct Asset {
    name: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

fn assets() -> &'static [Asset; 3] {
    static ASSETS: OnceLock<[Asset; 3]> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let named = |stem: &str, ext: &str, bytes: &'static [u8], content_type| {
            let hash = hex::encode(&Sha256::digest(bytes)[..6]);
            Asset { name: format!("{stem}-{hash}.{ext}"), bytes, content_type }
        };
        [
            named("htmx", "js", HTMX, "text/javascript; charset=utf-8"),
            named("console", "css", STYLESHEET, "text/css; charset=utf-8"),
            named("console", "js", SCRIPT, "text/javascript; charset=utf-8"),
        ]
    })
}

/// The URL path of an asset by its index in [`assets`].
pub fn asset_path(index: usize) -> String {
    format!("/assets/{}", assets()[index].name)
}

pub fn htmx_path() -> String {
    asset_path(0)
}

pub fn stylesheet_path() -> String {
    asset_path(1)
}

pub fn script_path() -> String {
    asset_path(2)
}

pub fn serve(name: &str) -> Response<Body> {
    match assets().iter().find(|a| a.name == name) {
        Some(asset) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, asset.content_type)
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .header("X-Content-Type-Options", "nosniff")
            .body(Body::Binary(asset.bytes.to_vec()))
            .expect("a valid response"),
        None => Response::builder().status(StatusCode::NOT_FOUND).body(Body::Empty).expect("a valid response"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_content() {
        let htmx = htmx_path();
        assert!(htmx.starts_with("/assets/htmx-") && htmx.ends_with(".js"), "{htmx}");
        let name = htmx.trim_start_matches("/assets/");
        let response = serve(name);
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
        assert_eq!(serve("htmx-000000000000.js").status(), StatusCode::NOT_FOUND, "an old name is gone");
    }
}
