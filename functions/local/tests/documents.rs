//! Documents over HTTP against gestiona-local: a requested PDF is rendered by the runner's
//! documents worker, filed on the case and downloaded through the presigned redirect; staff
//! uploads go through a presigned PUT limited to the announced type and size.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Caller, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by the test command");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let text = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A case of the demo tenant with an account (with its tax id) and a contact.
async fn case_with_customer(ana: &Caller<'_>) -> String {
    let account = ana.post("/accounts", json!({"name": "Importadora Añil S.A.", "taxId": "3-101-777888"})).await;
    assert_eq!(account.status, StatusCode::CREATED, "{}", account.body);
    let account_id = account.body["id"].as_str().unwrap().to_owned();
    let contact = ana
        .post(
            "/contacts",
            json!({"firstName": "Begoña", "lastName": "Ibáñez", "email": format!("begona{}@anil.example", common::unique()), "accountId": account_id}),
        )
        .await;
    let contact_id = contact.body["id"].as_str().unwrap().to_owned();
    let case = ana
        .post(
            "/cases",
            json!({"type": "queja_calidad", "subject": "Cobro de saldo", "owner": "ana",
                   "accountId": account_id, "contactId": contact_id, "customFields": {"lote": "L-1"}}),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    case.body["id"].as_str().unwrap().to_owned()
}

/// Follows the download route's redirect to the bytes (the runner plays S3's presigned URL).
async fn download(ana: &Caller<'_>, server: &Server, path: &str) -> Option<(Vec<u8>, String)> {
    let reply = ana.get(path).await;
    if reply.status == StatusCode::CONFLICT && reply.problem_type().ends_with("document-not-ready") {
        assert_eq!(reply.headers["retry-after"], "2");
        return None;
    }
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let location = reply.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&server.base) && location.contains("signature="), "{location}");
    let file = reqwest::get(&location).await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let disposition = file.headers()["content-disposition"].to_str().unwrap().to_owned();
    Some((file.bytes().await.unwrap().to_vec(), disposition))
}

async fn wait_for_file(ana: &Caller<'_>, server: &Server, path: &str) -> (Vec<u8>, String) {
    for _ in 0..60 {
        if let Some(file) = download(ana, server, path).await {
            return file;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{path} was not rendered in 15 s");
}

#[tokio::test]
#[ignore = "needs poppler's pdftotext: tests/run provides it"]
async fn a_requested_quote_is_rendered_filed_and_downloaded() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let case_id = case_with_customer(&ana).await;

    let templates = ana.get("/document-templates").await;
    let keys: Vec<&str> = templates.body.as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["quote", "invoice", "collection_letter", "case_letter", "contract"]);

    let requested = ana
        .post(
            &format!("/cases/{case_id}/documents"),
            json!({"template": "quote", "notify": true, "fields": {
                "number": "COT-77", "validUntil": "2099-01-31", "taxRatePercent": 13,
                "lines": [{"description": "Instalación *urgente* #set", "quantity": 2, "unitPriceMinor": 62_500_000}]
            }}),
        )
        .await;
    assert_eq!(requested.status, StatusCode::ACCEPTED, "{}", requested.body);
    assert_eq!(requested.body["status"], "queued");
    let location = requested.headers["location"].to_str().unwrap().to_owned();

    let (pdf, disposition) = wait_for_file(&ana, &server, &location).await;
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(disposition.contains("Cotizaci%C3%B3n%20COT-77.pdf"), "{disposition}");
    let text = pdf_text(&pdf);
    assert!(text.contains("Importadora Añil S.A.") && text.contains("Begoña Ibáñez"), "{text}");
    assert!(text.contains("₡1.412.500,00"), "total with 13 % tax: {text}");
    assert!(text.contains("31 de enero de 2099"), "{text}");
    assert!(text.contains("Instalación *urgente* #set"), "markup appears literally: {text}");

    let listed = ana.get(&format!("/cases/{case_id}/documents")).await;
    let document = &listed.body["items"][0];
    assert_eq!(document["status"], "ready");
    assert_eq!(document["size"], pdf.len());
    assert_eq!(document["templateVersion"].as_str().unwrap().len(), 12);
    let key = document["objectKey"].as_str().unwrap();
    assert!(key.starts_with(&format!("demo/cases/{case_id}/quote/")), "{key}");
    assert!(server.data_dir.join("documents").join(key).exists(), "the PDF is in the data dir");

    let history = common::all_items(&ana, &format!("/cases/{case_id}/history")).await;
    let kinds: Vec<&str> = history.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "documentRequested").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "documentFiled").count(), 1, "{kinds:?}");
    let filed = history.iter().find(|e| e["type"] == "documentFiled").unwrap();
    assert_eq!(filed["sha256"], document["sha256"]);

    // The owner is told by e-mail, through the notifier, once.
    let mut notified = Vec::new();
    for _ in 0..40 {
        let history = common::all_items(&ana, &format!("/cases/{case_id}/history")).await;
        notified =
            history.into_iter().filter(|e| e["type"] == "notified" && e["template"] == "document_ready").collect();
        if !notified.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(notified.len(), 1, "one document_ready e-mail");
}

#[tokio::test]
async fn requests_that_could_never_render_are_refused_with_the_fields_named() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let case_id = case_with_customer(&ana).await;
    let path = format!("/cases/{case_id}/documents");

    let unknown = ana.post(&path, json!({"template": "pagare_inventado"})).await;
    assert_eq!((unknown.status, unknown.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["template".to_owned()]));
    let incomplete = ana
        .post(&path, json!({"template": "invoice", "fields": {"dueDate": "31/12/2026", "lines": [], "color": "red"}}))
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = incomplete.fields();
    for field in ["fields.color", "fields.number", "fields.dueDate", "fields.lines"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    let garbage = ana.post(&path, json!({"template": "quote", "fields": [1, 2]})).await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        ana.post("/cases/01JD8X3Q9V7M2K4T6W8Y0Z1A2B/documents", json!({"template": "quote"})).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = ana.get(&format!("/cases/{case_id}/documents")).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was queued");
}

#[tokio::test]
async fn uploads_take_exactly_the_announced_file() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let case_id = case_with_customer(&ana).await;
    let uploads = format!("/cases/{case_id}/uploads");

    let refused = ana
        .post(&uploads, json!({"fileName": "virus.exe", "contentType": "application/x-msdownload", "size": 10}))
        .await;
    assert_eq!(refused.fields(), ["contentType"]);
    let too_big = ana
        .post(&uploads, json!({"fileName": "a.pdf", "contentType": "application/pdf", "size": 26 * 1024 * 1024}))
        .await;
    assert_eq!(too_big.fields(), ["size"]);

    let bytes = b"%PDF-1.7\nrecibo firmado por la se\xc3\xb1ora Ib\xc3\xa1\xc3\xb1ez\n".to_vec();
    let ticket = ana
        .post(
            &uploads,
            json!({"fileName": "Recibo firmado.pdf", "contentType": "application/pdf", "size": bytes.len()}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.body);
    let url = ticket.body["url"].as_str().unwrap().to_owned();
    let document_path = ticket.headers["location"].to_str().unwrap().to_owned();
    let complete = format!("{document_path}/complete");

    let early = ana.post(&complete, json!({})).await;
    assert_eq!((early.status, early.problem_type().ends_with("upload-missing")), (StatusCode::CONFLICT, true));

    let http = reqwest::Client::new();
    let wrong_size =
        http.put(&url).header("content-type", "application/pdf").body(b"short".to_vec()).send().await.unwrap();
    assert_eq!(wrong_size.status(), StatusCode::FORBIDDEN);
    let wrong_type = http.put(&url).header("content-type", "text/plain").body(bytes.clone()).send().await.unwrap();
    assert_eq!(wrong_type.status(), StatusCode::FORBIDDEN);
    let tampered = http
        .put(url.replace("size=", "size=9"))
        .header("content-type", "application/pdf")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::FORBIDDEN);
    // The ticket names the headers the link was signed with; without If-None-Match it is refused.
    let signed = ticket.body["headers"].as_object().unwrap();
    assert_eq!(signed["if-none-match"], "*");
    assert_eq!(signed["content-type"], "application/pdf");
    let unconditional =
        http.put(&url).header("content-type", "application/pdf").body(bytes.clone()).send().await.unwrap();
    assert_eq!(unconditional.status(), StatusCode::FORBIDDEN);
    let upload = |body: Vec<u8>| {
        let mut put = http.put(&url).body(body);
        for (name, value) in signed.iter().filter(|(name, _)| *name != "content-length") {
            put = put.header(name.as_str(), value.as_str().unwrap());
        }
        put.send()
    };
    assert_eq!(upload(bytes.clone()).await.unwrap().status(), StatusCode::OK);
    // Written once: the same link cannot replace the file, before or after it is filed.
    let mut other = bytes.clone();
    other.reverse();
    assert_eq!(upload(other.clone()).await.unwrap().status(), StatusCode::PRECONDITION_FAILED);

    let completed = ana.post(&complete, json!({})).await;
    assert_eq!(completed.status, StatusCode::OK, "{}", completed.body);
    assert_eq!(completed.body["status"], "ready");
    let again = ana.post(&complete, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "completed once");

    assert_eq!(upload(other).await.unwrap().status(), StatusCode::PRECONDITION_FAILED);
    let (downloaded, disposition) = download(&ana, &server, &document_path).await.expect("ready");
    assert_eq!(downloaded, bytes);
    assert!(disposition.contains("filename=\"Recibo firmado.pdf\""), "{disposition}");

    // Replaced behind the application's back (same size, other bytes): no link is issued.
    let document_id = document_path.rsplit('/').next().unwrap();
    let stored = std::fs::read_dir(
        server.data_dir.join("documents/demo/cases").join(&case_id).join("uploads").join(document_id),
    )
    .unwrap()
    .map(|entry| entry.unwrap().path())
    .find(|path| !path.to_string_lossy().ends_with(".meta.json"))
    .expect("the uploaded file");
    let mut forged = bytes.clone();
    forged[0] = b'#';
    std::fs::write(&stored, &forged).unwrap();
    let refused = ana.get(&document_path).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.problem_type().ends_with("document-altered"), "{}", refused.body);
    assert_eq!(refused.body["title"], "The document's file is not the one filed");
    let in_spanish = reqwest::Client::new()
        .get(format!("{}{document_path}", server.base))
        .bearer_auth(server.token("demo", "ana", "agent"))
        .header("accept-language", "es-CR")
        .send()
        .await
        .unwrap();
    assert_eq!(in_spanish.status(), StatusCode::CONFLICT);
    let problem: Value = in_spanish.json().await.unwrap();
    assert_eq!(problem["title"], "El archivo del documento no es el que se archivó");
    std::fs::write(&stored, &bytes).unwrap();
    assert_eq!(download(&ana, &server, &document_path).await.expect("restored").0, bytes);

    let history = common::all_items(&ana, &format!("/cases/{case_id}/history")).await;
    let filed: Vec<&Value> = history.iter().filter(|e| e["type"] == "documentFiled").collect();
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0]["size"], bytes.len());
}
