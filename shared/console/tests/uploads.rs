//! Uploading a file to a case from its page: straight to the bucket where the page's script
//! runs (announce, send, complete), through the console without it; refusals in words.

mod support;

use std::sync::Arc;

use gestiona_console::{Console, SignIn};
use gestiona_domain::actor::Role;
use gestiona_domain::document::{DocumentSource, DocumentStatus};
use gestiona_domain::messages::Locale;
use gestiona_domain::ports::BlobStore;
use gestiona_domain::service::Services;
use gestiona_domain::testing::MemoryBlobs;
use http::{Method, StatusCode, header};
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use support::{demo_services, encode, request, sign_in, text};

const BOUNDARY: &str = "----gestiona-test-boundary";

/// The demo console with a bucket in memory and one case: the console, the bucket, the use
/// cases and the case's path.
async fn with_case() -> (Console, Arc<MemoryBlobs>, Services, String) {
    let services = demo_services().await;
    let sofia = support::demo_actor("sofia", Role::Supervisor);
    // Carlos, the English-speaking reader below, owns it: his scope is his team's cases.
    let new_case = json!({"type": "queja_calidad", "subject": "Sacos rotos", "owner": "carlos"});
    let case = services.create_case(&sofia, serde_json::from_value(new_case).unwrap()).await.unwrap();
    let blobs = Arc::new(MemoryBlobs::default());
    let console = Console::new(services.clone(), SignIn::LocalDemo, true).with_files(blobs.clone(), None);
    (console, blobs, services, format!("/app/cases/{}", case.value.id))
}

/// The upload form as a browser posts it without JavaScript.
fn multipart(path: &str, cookie: &str, csrf: Option<&str>, file: Option<(&str, &str, &[u8])>) -> Request {
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").bytes(),
        );
    }
    let (name, kind, bytes) = file.unwrap_or(("", "application/octet-stream", b""));
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n"
        )
        .bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").bytes());
    let mut request = Request::new(Body::Binary(body));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = format!("{path}/uploads").parse().unwrap();
    let headers = request.headers_mut();
    headers.insert(header::COOKIE, cookie.parse().unwrap());
    headers.insert(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}").parse().unwrap());
    request
}

/// A request of the page's script: the token in its header, JSON asked for.
fn scripted(path: &str, cookie: &str, csrf: &str, form: &str) -> Request {
    let mut request = request(Method::POST, path, Some(cookie), Some(form));
    request.headers_mut().insert("x-csrf-token", csrf.parse().unwrap());
    request.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    request
}

fn json_of(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_str(&text(response)).expect("a JSON answer")
}

#[tokio::test]
async fn a_file_posted_with_the_form_is_filed_on_the_case() {
    let (console, blobs, services, case) = with_case().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains(&format!("action=\"{case}/uploads\" enctype=\"multipart/form-data\"")), "{page}");
    assert!(page.contains("<label for=\"upload-file\">Archivo</label>") && page.contains("hasta 25 MB"));

    let photo: &[u8] = b"\x89PNG\r\n\x1a\n fotografia del saco";
    let filed =
        console.handle(multipart(&case, &cookie, Some(&csrf), Some(("saco roto.png", "image/png", photo)))).await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER, "{}", text(&filed));
    assert_eq!(support::header_of(&filed, "location"), format!("{case}#documents-heading"));

    let id = case.rsplit('/').next().unwrap().parse().unwrap();
    let documents = services.list_documents(&support::demo_actor("sofia", Role::Supervisor), id).await.unwrap();
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!((document.source, document.status), (DocumentSource::Uploaded, DocumentStatus::Ready));
    assert_eq!((document.file_name.as_str(), document.content_type.as_str()), ("saco roto.png", "image/png"));
    let stored = blobs.get(document.object_key.as_deref().unwrap()).await.unwrap().expect("the file in the bucket");
    assert_eq!(stored, photo);
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains(&format!("href=\"{case}/documents/{}\"", document.id)), "a download link");
}

#[tokio::test]
async fn the_form_refuses_in_words_and_writes_nothing() {
    let (console, _, services, case) = with_case().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let id = case.rsplit('/').next().unwrap().parse().unwrap();
    let documents =
        || async { services.list_documents(&support::demo_actor("sofia", Role::Supervisor), id).await.unwrap().len() };

    let forged = console.handle(multipart(&case, &cookie, None, Some(("a.pdf", "application/pdf", b"%PDF")))).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no token, no upload");

    let program = console
        .handle(multipart(&case, &cookie, Some(&csrf), Some(("setup.exe", "application/x-msdownload", b"MZ"))))
        .await;
    assert_eq!(program.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&program);
    assert!(html.contains("Aquí no se aceptan archivos de este tipo (application/x-msdownload)."), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "the file input is marked");

    let nothing = console.handle(multipart(&case, &cookie, Some(&csrf), None)).await;
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&nothing).contains("Elija un archivo para subir."));

    let big = vec![b'x'; 5 * 1024 * 1024];
    let too_big =
        console.handle(multipart(&case, &cookie, Some(&csrf), Some(("big.pdf", "application/pdf", &big)))).await;
    assert_eq!(too_big.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&too_big).contains("Sin JavaScript el formulario acepta archivos de hasta 4 MB"));
    assert_eq!(documents().await, 0, "nothing was recorded");

    let (english, csrf) = sign_in(&console, "carlos").await;
    let refused = console
        .handle(multipart(&case, &english, Some(&csrf), Some(("setup.exe", "application/x-msdownload", b"MZ"))))
        .await;
    assert!(text(&refused).contains("Files of this type (application/x-msdownload) are not accepted here."));
}

#[tokio::test]
async fn the_script_sends_the_file_straight_to_the_bucket_and_the_console_checks_it() {
    let (console, blobs, services, case) = with_case().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let contract = b"%PDF-1.7 contrato firmado";
    let size = contract.len().to_string();
    let announce = encode(&[("fileName", "Contrato firmado.pdf"), ("contentType", "application/pdf"), ("size", &size)]);
    let announced = console.handle(scripted(&format!("{case}/uploads/direct"), &cookie, &csrf, &announce)).await;
    assert_eq!(announced.status(), StatusCode::CREATED, "{}", text(&announced));
    let answer = json_of(&announced);
    let url = answer["url"].as_str().unwrap();
    let complete = answer["complete"].as_str().unwrap();
    assert_eq!(answer["contentType"], "application/pdf");
    assert_eq!(answer["headers"], json!({"content-type": "application/pdf", "if-none-match": "*"}), "as signed");
    assert!(complete.starts_with(&format!("{case}/uploads/")) && complete.ends_with("/complete"));

    // Completing before the file arrived says so, and the upload can still finish.
    let early = console.handle(scripted(complete, &cookie, &csrf, "")).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(&early)["errors"][0], "El archivo no llegó; súbalo de nuevo.");

    let key = url.strip_prefix("memory://").expect("the bucket's presigned URL");
    blobs.put(key, contract, "application/pdf", "").await.unwrap();
    let done = console.handle(scripted(complete, &cookie, &csrf, "")).await;
    assert_eq!(done.status(), StatusCode::OK, "{}", text(&done));
    assert_eq!(json_of(&done)["documents"], format!("{case}#documents-heading"));
    let again = console.handle(scripted(complete, &cookie, &csrf, "")).await;
    assert_eq!(again.status(), StatusCode::OK, "a retried completion finds it filed");

    let id = case.rsplit('/').next().unwrap().parse().unwrap();
    let documents = services.list_documents(&support::demo_actor("sofia", Role::Supervisor), id).await.unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].status, DocumentStatus::Ready);
    assert_eq!(documents[0].size, Some(contract.len() as u64));

    // A file of another size than announced is marked failed, with the reason on the page.
    let announce = encode(&[("fileName", "foto.jpg"), ("contentType", "image/jpeg"), ("size", "10")]);
    let answer = json_of(&console.handle(scripted(&format!("{case}/uploads/direct"), &cookie, &csrf, &announce)).await);
    blobs
        .put(answer["url"].as_str().unwrap().strip_prefix("memory://").unwrap(), b"12345", "image/jpeg", "")
        .await
        .unwrap();
    let mismatch = console.handle(scripted(answer["complete"].as_str().unwrap(), &cookie, &csrf, "")).await;
    assert_eq!(mismatch.status(), StatusCode::OK);
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    // The record keeps the reason's code and figures, so each reader gets it in their language.
    let spanish = services.list_documents(&support::demo_actor("sofia", Role::Supervisor), id).await.unwrap();
    let failed = spanish.iter().find(|d| d.status == DocumentStatus::Failed).unwrap();
    assert_eq!(failed.errors[0].code, "upload_size_mismatch");
    assert!(page.contains("Falló") && page.contains(&failed.errors[0].reason_in(Locale::Es)), "{page}");
    assert!(!page.contains(&failed.errors[0].reason), "not in English: {page}");
    let (cookie, _) = sign_in(&console, "carlos").await;
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains("5 bytes arrived, 10 were announced"), "{page}");
}

#[tokio::test]
async fn the_script_gets_its_refusals_in_the_users_language() {
    let (console, _, _, case) = with_case().await;
    let (cookie, csrf) = sign_in(&console, "carlos").await;
    let path = format!("{case}/uploads/direct");
    let program = encode(&[("fileName", "setup.exe"), ("contentType", "application/x-msdownload"), ("size", "2")]);
    let refused = console.handle(scripted(&path, &cookie, &csrf, &program)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&refused)["errors"][0], "Files of this type (application/x-msdownload) are not accepted here.");
    let huge = encode(&[("fileName", "scan.pdf"), ("contentType", "application/pdf"), ("size", "999999999")]);
    let refused = console.handle(scripted(&path, &cookie, &csrf, &huge)).await;
    assert_eq!(json_of(&refused)["errors"][0], "The file must have from 1 byte to 25 MB.");
    let forged = console.handle(scripted(&path, &cookie, "not-the-token", &program)).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A console without a bucket says uploads are not configured, and records nothing.
    let bare = support::console().await;
    let (cookie, csrf) = sign_in(&bare, "carlos").await;
    let pdf = encode(&[("fileName", "scan.pdf"), ("contentType", "application/pdf"), ("size", "4")]);
    let refused = bare.handle(scripted(&path, &cookie, &csrf, &pdf)).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_of(&refused)["errors"][0], "Uploads are not configured here.");
}
