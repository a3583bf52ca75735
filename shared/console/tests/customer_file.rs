//! The customer file's documents and recent activity: those of the account's own cases, each
//! line naming its case, newest first, in the reader's language; a case moved to another
//! account takes its documents and history with it.

mod support;

use gestiona_domain::actor::Role;
use gestiona_domain::case::CasePatch;
use gestiona_domain::history::NewComment;
use gestiona_domain::ports::BlobStore;
use gestiona_domain::service::documents::UploadRequest;
use gestiona_domain::testing::MemoryBlobs;
use http::Method;
use serde_json::json;
use support::{demo_services, request, sign_in, text};

#[tokio::test]
async fn the_file_shows_the_documents_and_activity_of_the_accounts_cases() {
    let services = demo_services().await;
    let sofia = support::demo_actor("sofia", Role::Supervisor);
    let account = |name: &str| {
        let services = services.clone();
        let sofia = sofia.clone();
        let name = name.to_owned();
        async move {
            let new = serde_json::from_value(json!({"name": name})).unwrap();
            services.create_account(&sofia, new).await.unwrap().value.id
        }
    };
    let (clavo, tornillo) = (account("Ferretería El Clavo").await, account("Tornillos del Sur").await);
    let case = |subject: &str, account| {
        let services = services.clone();
        let sofia = sofia.clone();
        let new = json!({"type": "queja_calidad", "subject": subject, "accountId": account});
        async move { services.create_case(&sofia, serde_json::from_value(new).unwrap()).await.unwrap().value.id }
    };
    let sacos = case("Sacos rotos en la entrega", clavo).await;
    let clavos = case("Clavos oxidados", clavo).await;
    let ajeno = case("Tornillos de otra medida", tornillo).await;

    let comment = NewComment { body: "El cliente envió fotos del lote.".into(), internal: true };
    services.add_comment(&sofia, sacos, comment).await.unwrap();
    let blobs = MemoryBlobs::default();
    let upload =
        UploadRequest { file_name: "acta de entrega.pdf".into(), content_type: "application/pdf".into(), size: 4 };
    let document = services.begin_upload(&sofia, clavos, upload).await.unwrap();
    blobs.put(document.object_key.as_deref().unwrap(), b"%PDF", "application/pdf", "").await.unwrap();
    services.complete_upload(&sofia, clavos, document.id, &blobs).await.unwrap();
    let comment = NewComment { body: "Esto es de otro cliente.".into(), internal: true };
    services.add_comment(&sofia, ajeno, comment).await.unwrap();

    let console = gestiona_console::Console::new(services.clone(), gestiona_console::SignIn::LocalDemo, true);
    let (cookie, _) = sign_in(&console, "sofia").await;
    let file = format!("/app/accounts/{clavo}");
    let page = text(&console.handle(request(Method::GET, &file, Some(&cookie), None)).await);
    let documents = page.split("id=\"customer-documents\"").nth(1).expect("the documents section");
    assert!(
        documents.contains(&format!("href=\"/app/cases/{clavos}/documents/{}\"", document.id))
            && documents.contains(&format!("<a href=\"/app/cases/{clavos}\">Clavos oxidados</a>")),
        "the upload, with its case: {documents}"
    );
    let activity = page.split("id=\"customer-activity\"").nth(1).expect("the activity section");
    assert!(activity.contains("El cliente envió fotos del lote."), "a comment with its text: {activity}");
    assert!(activity.contains(&format!("<a href=\"/app/cases/{sacos}\">Sacos rotos en la entrega</a> · ")));
    assert!(activity.contains("casos con cambios más recientes (hasta 8)"));
    // Newest first: the upload (last) before the comment before the cases' opening.
    let first = activity.split("<li").nth(1).unwrap();
    assert!(first.contains("Clavos oxidados") && first.contains("acta de entrega.pdf"), "{first}");
    let comment_at = activity.find("El cliente envió fotos del lote.").unwrap();
    assert!(activity[comment_at..].contains("Abierto en"), "the openings come after the comment");
    assert!(!page.contains("Esto es de otro cliente.") && !page.contains("Tornillos de otra medida"));

    let (carlos, _) = sign_in(&console, "carlos").await;
    let english = text(&console.handle(request(Method::GET, &file, Some(&carlos), None)).await);
    assert!(english.contains("Documents of its cases") && english.contains("Recent activity"));

    // The case moves to the other customer: its document and history go with it.
    let patch = CasePatch { account_id: Some(Some(tornillo)), ..Default::default() };
    services.update_case(&sofia, clavos, 1.into(), patch).await.unwrap();
    let page = text(&console.handle(request(Method::GET, &file, Some(&cookie), None)).await);
    assert!(!page.contains("acta de entrega.pdf"), "no longer this customer's");
    let other =
        text(&console.handle(request(Method::GET, &format!("/app/accounts/{tornillo}"), Some(&cookie), None)).await);
    assert!(other.contains("acta de entrega.pdf") && other.contains("Esto es de otro cliente."));
}
