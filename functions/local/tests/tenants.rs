//! `gestiona-local new-tenant`: a platform operator opens a company from the brochures'
//! template; its administrator works at once, and its settings are theirs to edit.

mod common;

use std::process::Command;

use common::{Caller, Server, unique};
use reqwest::Method;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_gestiona-local");

fn new_tenant(data_dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["new-tenant", "--id", "clavo", "--name", "Ferretería El Clavo", "--admin", "marta"])
        .args(["--admin-name", "Marta Quesada", "--admin-email", "marta@elclavo.example", "--currency", "CRC"])
        .args(extra)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run gestiona-local new-tenant")
}

#[tokio::test]
async fn a_company_opened_from_the_template_works_at_once_and_is_opened_once() {
    let data_dir = std::env::temp_dir().join(format!("gestiona-tenant-{}-{}", std::process::id(), unique()));
    let bad = new_tenant(&data_dir, &["--time-zone", "Mars/Olympus"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("timeZone"), "{}", String::from_utf8_lossy(&bad.stderr));
    let opened = new_tenant(&data_dir, &[]);
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    assert!(String::from_utf8_lossy(&opened.stdout).contains("Ferretería El Clavo (clavo)"));
    let again = new_tenant(&data_dir, &[]);
    assert!(!again.status.success(), "a company is opened once");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    let server = Server::start_in(data_dir);
    // Her token names the agent role: the directory's admin profile is what counts.
    let marta = Caller::new(&server, Some(server.token("clavo", "marta", "agent")));
    let types = marta.get("/case-types").await;
    assert!(types.body["items"].as_array().unwrap().len() >= 5, "the brochures' case types: {}", types.body);
    let case = json!({"type": "queja_calidad", "subject": "Tornillos oxidados en el lote 12"});
    let created = marta.send(Method::POST, "/cases", Some(&case), None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let forms = marta.get("/forms").await;
    assert_eq!(forms.body["items"].as_array().unwrap().len(), 1, "{}", forms.body);

    let settings = marta.get("/tenant").await;
    assert_eq!(settings.body["name"], "Ferretería El Clavo");
    assert_eq!(settings.body["currency"], "CRC");
    let mut changed = json!({
        "name": "Ferretería El Clavo S.A.", "legalId": "3-101-777777", "locale": "es", "currency": "CRC",
        "timeZone": "America/Costa_Rica", "sender": "El Clavo <avisos@elclavo.example>",
    });
    let saved = marta.send(Method::PUT, "/tenant", Some(&changed), Some(&settings.etag())).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["legalId"], "3-101-777777");
    let stale = marta.send(Method::PUT, "/tenant", Some(&changed), Some(&settings.etag())).await;
    assert_eq!(stale.status, 412, "the version read before the save is stale");
    changed["currency"] = json!("PESOS");
    changed["logoUrl"] = json!("http://elclavo.example/logo.png");
    let refused = marta.send(Method::PUT, "/tenant", Some(&changed), Some(&saved.etag())).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.fields(), ["currency", "logoUrl"]);

    // The demo company's agent reads no company settings; nor does another company's admin
    // see this one's.
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    assert_eq!(ana.get("/tenant").await.status, 403);
    let demo_admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    assert_eq!(demo_admin.get("/tenant").await.body["name"], "Demo Gestiona");

    // A runner serving the new company alone signs its staff into the console.
    let data_dir = server.data_dir.clone();
    drop(server);
    let server = Server::start_with(data_dir, &["--tenant", "clavo"]);
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = browser.get(format!("{}/app/sign-in", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Marta Quesada") && !page.contains("Sofía"), "{page}");
    let signed = browser
        .post(format!("{}/app/sign-in", server.base))
        .header("origin", &server.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=marta")
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let settings = browser.get(format!("{}/app/settings", server.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(settings.status(), 200, "her directory profile makes her an administrator");
    let nobody = browser
        .post(format!("{}/app/sign-in", server.base))
        .header("origin", &server.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=sofia")
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 422, "the demo's users are not this company's");
}
