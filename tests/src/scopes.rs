//! Record scopes through the HTTP API: generated users, teams, branches, profiles and records,
//! and for every user every list, search, read and report checked against a model of whose
//! records their profile's scope reaches. Nothing outside the scope may be answered, nothing
//! inside it may be missing, and a page that has a next one is full.

use std::collections::{BTreeMap, BTreeSet};

use gestiona_api::{Api, Function};
use gestiona_domain::access::{Scope, profile_of_role};
use gestiona_domain::user::User;
use gestiona_domain::{ProfileId, Role, TenantId, UserId};
use serde_json::{Value, json};

use crate::fixtures::staff;
use crate::handlers::{Reply, call};

/// How many generated staff members a world has.
pub const PEOPLE: usize = 5;
pub const TEAMS: usize = 3;
pub const BRANCHES: usize = 2;

/// One generated company.
#[derive(Debug, Clone)]
pub struct World {
    /// Per person: their scope on cases and on leads.
    pub scopes: Vec<(Scope, Scope)>,
    /// Per team: its branch (of `BRANCHES`, or none), members and supervisors (people's numbers).
    pub teams: Vec<(Option<usize>, BTreeSet<usize>, BTreeSet<usize>)>,
    /// Per case: its owner (a person's number, or nobody).
    pub cases: Vec<Option<usize>>,
    /// Per lead: its owner.
    pub leads: Vec<usize>,
    /// The page size lists are read with.
    pub limit: u32,
}

fn person(n: usize) -> String {
    format!("p{n}")
}

/// Whose records person `n` reaches with `scope`, as the organisation says (the model).
fn reach(world: &World, n: usize, scope: Scope) -> Option<BTreeSet<String>> {
    let people = |t: &(Option<usize>, BTreeSet<usize>, BTreeSet<usize>)| {
        t.1.iter().chain(&t.2).map(|&p| person(p)).collect::<Vec<_>>()
    };
    let mine: Vec<_> = world.teams.iter().filter(|t| t.1.contains(&n) || t.2.contains(&n)).collect();
    let mut team: BTreeSet<String> = mine.iter().flat_map(|t| people(t)).collect();
    team.insert(person(n));
    let branches: BTreeSet<usize> = mine.iter().filter_map(|t| t.0).collect();
    let mut branch = team.clone();
    for t in world.teams.iter().filter(|t| t.0.is_some_and(|b| branches.contains(&b))) {
        branch.extend(people(t));
    }
    match scope {
        Scope::Own => Some(BTreeSet::from([person(n)])),
        Scope::Team => Some(team),
        Scope::Branch => Some(branch),
        Scope::All => None,
    }
}

fn sees(reach: &Option<BTreeSet<String>>, owner: Option<&str>) -> bool {
    match reach {
        None => true,
        Some(owners) => owner.is_some_and(|o| owners.contains(o)),
    }
}

fn as_person(mut event: Value, user: &str) -> Value {
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = json!(user);
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!("[agent]");
    event
}

async fn admin_call(api: &Api, function: Function, method: &str, route: &str, path: &str, body: Value) -> Reply {
    let mut event = staff(method, route, path, &[], Some(body));
    event["headers"]["if-match"] = json!("\"0\"");
    let reply = call(api, function, &event).await;
    assert!(reply.status.is_success(), "{method} {path}: {} {}", reply.status, reply.body);
    reply
}

/// Every item of a list as `user` reads it (`None`: an administrator), page by page, checking
/// that a page with a next one is full.
async fn read_all(
    api: &Api,
    function: Function,
    route: &str,
    query: &[(&str, &str)],
    user: Option<&str>,
    limit: u32,
) -> Vec<Value> {
    let limit_text = limit.to_string();
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        params.push(("limit".into(), limit_text.clone()));
        if let Some(c) = &cursor {
            params.push(("cursor".into(), c.clone()));
        }
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let event = staff("GET", route, route, &params, None);
        let event = match user {
            Some(user) => as_person(event, user),
            None => event,
        };
        let reply = call(api, function, &event).await;
        assert_eq!(reply.status, 200, "{user:?} GET {route} {params:?}: {}", reply.body);
        let page = reply.body["items"].as_array().cloned().unwrap_or_default();
        cursor = reply.body["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_some() {
            assert_eq!(page.len(), limit as usize, "{user:?} GET {route} {params:?}: a page with a next one is full");
        }
        items.extend(page);
        if cursor.is_none() {
            return items;
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

/// Builds the world through the API on `api` (the demo company) and checks every person.
pub async fn check(api: Api, world: World) {
    let tenant = TenantId::parse("demo").unwrap();
    let agent = profile_of_role(Role::Agent);
    for (n, (cases, leads)) in world.scopes.iter().enumerate() {
        let grants: BTreeMap<String, Value> =
            agent.grants.iter().map(|(m, ops)| (m.as_str().to_owned(), json!(ops))).collect();
        let profile = json!({"name": format!("Perfil {n}"), "level": "agent", "grants": grants,
            "scopes": {"cases": cases.as_str(), "leads": leads.as_str(), "opportunities": leads.as_str()}});
        let path = format!("/profiles/q{n}");
        let mut event = staff("PUT", "/profiles/{id}", &path, &[], Some(profile));
        event["headers"].as_object_mut().unwrap().remove("if-match");
        let saved = call(&api, Function::AccountsApi, &event).await;
        assert_eq!(saved.status, 200, "{}", saved.body);
        let user = User {
            id: UserId::parse(&person(n)).unwrap(),
            name: format!("Persona {n}"),
            email: format!("p{n}@demo.example"),
            locale: "es".into(),
            profile: Some(ProfileId::parse(&format!("q{n}")).unwrap()),
            active: true,
        };
        api.services.put_user(&tenant, &user).await.unwrap();
    }
    let branches: Vec<Value> =
        (0..BRANCHES).map(|b| json!({"id": format!("b{b}"), "name": format!("Sucursal {b}")})).collect();
    let teams: Vec<Value> = world
        .teams
        .iter()
        .enumerate()
        .map(|(t, (branch, members, supervisors))| {
            json!({"id": format!("t{t}"), "name": format!("Equipo {t}"), "branch": branch.map(|b| format!("b{b}")),
                "members": members.iter().map(|&p| person(p)).collect::<Vec<_>>(),
                "supervisors": supervisors.iter().map(|&p| person(p)).collect::<Vec<_>>()})
        })
        .collect();
    let mut put =
        staff("PUT", "/organisation", "/organisation", &[], Some(json!({"branches": branches, "teams": teams})));
    put["headers"].as_object_mut().unwrap().remove("if-match");
    let saved = call(&api, Function::AccountsApi, &put).await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    // The records, each with its owner (the demo's own cases are Ana's and Carlos's).
    let mut case_owner: BTreeMap<String, Option<String>> = BTreeMap::new();
    let demo = read_all(&api, Function::CasesApi, "/cases", &[], None, 100).await;
    for case in &demo {
        case_owner.insert(case["id"].as_str().unwrap().to_owned(), case["owner"].as_str().map(str::to_owned));
    }
    for (i, owner) in world.cases.iter().enumerate() {
        let mut body = json!({"type": "queja_calidad", "subject": format!("Reclamo alfa {i}")});
        if let Some(o) = owner {
            body["owner"] = json!(person(*o));
        }
        let created = admin_call(&api, Function::CasesApi, "POST", "/cases", "/cases", body).await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        // Nobody given: the case type's pool may have given it someone.
        case_owner.insert(id, created.body["owner"].as_str().map(str::to_owned));
    }
    let mut lead_owner: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (i, owner) in world.leads.iter().enumerate() {
        let body = json!({"name": format!("Prospecto alfa {i}"), "email": format!("prospecto{i}@alfa.example"), "owner": person(*owner)});
        let created = admin_call(&api, Function::LeadsApi, "POST", "/leads", "/leads", body).await;
        lead_owner.insert(created.body["id"].as_str().unwrap().to_owned(), Some(person(*owner)));
    }

    // Opportunities (seen with the leads' scope), one per lead owner, over two stages and
    // several close dates, so a scoped list merges partitions across both.
    let accounts = read_all(&api, Function::AccountsApi, "/accounts", &[], None, 100).await;
    let account = accounts[0]["id"].as_str().unwrap().to_owned();
    let mut opportunity_owner: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (i, owner) in world.leads.iter().enumerate() {
        let stage = if i % 2 == 0 { "prospecting" } else { "proposal" };
        let body = json!({"name": format!("Oportunidad alfa {i}"), "accountId": account, "owner": person(*owner),
            "stage": stage, "amount": {"amountMinor": 100_000 * (i as i64 + 1), "currency": "CRC"},
            "expectedCloseDate": format!("2027-0{}-15", 1 + i % 3)});
        let created = admin_call(&api, Function::SalesApi, "POST", "/opportunities", "/opportunities", body).await;
        opportunity_owner.insert(created.body["id"].as_str().unwrap().to_owned(), Some(person(*owner)));
    }

    for (n, (case_scope, lead_scope)) in world.scopes.iter().enumerate() {
        let me = person(n);
        let opportunity_reach = reach(&world, n, *lead_scope);
        let expected_opportunities: BTreeSet<String> = opportunity_owner
            .iter()
            .filter(|(_, o)| sees(&opportunity_reach, o.as_deref()))
            .map(|(id, _)| id.clone())
            .collect();
        let listed = ids(&read_all(&api, Function::SalesApi, "/opportunities", &[], Some(&me), world.limit).await);
        let distinct: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(distinct.len(), listed.len(), "{me} ({lead_scope:?}): each opportunity listed once");
        assert_eq!(distinct, expected_opportunities, "{me} ({lead_scope:?}) lists exactly their opportunities");
        let in_proposal = ids(&read_all(
            &api,
            Function::SalesApi,
            "/opportunities",
            &[("stage", "proposal")],
            Some(&me),
            world.limit,
        )
        .await);
        assert!(in_proposal.iter().all(|id| expected_opportunities.contains(id)), "{me}: a column within the scope");
        let path = format!("/opportunities?accountId={account}");
        let by_account = ids(&read_all(
            &api,
            Function::SalesApi,
            "/opportunities",
            &[("accountId", &account)],
            Some(&me),
            world.limit,
        )
        .await);
        assert_eq!(by_account.into_iter().collect::<BTreeSet<_>>(), expected_opportunities, "{me}: {path}");
        let board = call(
            &api,
            Function::SalesApi,
            &as_person(staff("GET", "/pipelines/{key}/board", "/pipelines/sales/board", &[], None), &me),
        )
        .await;
        assert_eq!(board.status, 200, "{}", board.body);
        let on_board: BTreeSet<String> = board.body["columns"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["cards"]["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(on_board, expected_opportunities, "{me} ({lead_scope:?}): the board holds exactly theirs");
        for (id, owner) in &opportunity_owner {
            let path = format!("/opportunities/{id}");
            let event = as_person(staff("GET", "/opportunities/{id}", &path, &[], None), &me);
            let read = call(&api, Function::SalesApi, &event).await;
            let visible = sees(&opportunity_reach, owner.as_deref());
            assert_eq!(read.status, if visible { 200 } else { 404 }, "{me} reads the opportunity of {owner:?}");
        }
        let (case_reach, lead_reach) = (reach(&world, n, *case_scope), reach(&world, n, *lead_scope));
        let expected_cases: BTreeSet<String> =
            case_owner.iter().filter(|(_, o)| sees(&case_reach, o.as_deref())).map(|(id, _)| id.clone()).collect();
        let expected_leads: BTreeSet<String> =
            lead_owner.iter().filter(|(_, o)| sees(&lead_reach, o.as_deref())).map(|(id, _)| id.clone()).collect();

        for sort in ["-created", "created", "due", "-updated", "updated"] {
            let listed =
                ids(&read_all(&api, Function::CasesApi, "/cases", &[("sort", sort)], Some(&me), world.limit).await);
            let distinct: BTreeSet<String> = listed.iter().cloned().collect();
            assert_eq!(distinct.len(), listed.len(), "{me} ({case_scope:?}, sort {sort}): listed once each");
            assert_eq!(distinct, expected_cases, "{me} ({case_scope:?}, sort {sort}) lists exactly their cases");
        }
        let found = ids(&read_all(&api, Function::CasesApi, "/cases", &[("q", "alfa")], Some(&me), world.limit).await);
        let generated: BTreeSet<String> =
            expected_cases.iter().filter(|id| !demo.iter().any(|d| d["id"] == json!(id))).cloned().collect();
        assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), generated, "{me}: the search finds their cases only");
        for (id, owner) in &case_owner {
            let path = format!("/cases/{id}");
            let read =
                call(&api, Function::CasesApi, &as_person(staff("GET", "/cases/{id}", &path, &[], None), &me)).await;
            let visible = sees(&case_reach, owner.as_deref());
            assert_eq!(read.status, if visible { 200 } else { 404 }, "{me} ({case_scope:?}) reads case of {owner:?}");
        }
        let report = call(
            &api,
            Function::ReportsApi,
            &as_person(staff("GET", "/reports/cases-by-state", "/reports/cases-by-state", &[], None), &me),
        )
        .await;
        let counted: u64 = report.body["items"].as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, expected_cases.len() as u64, "{me}: the report counts their cases only");

        let listed = ids(&read_all(&api, Function::LeadsApi, "/leads", &[], Some(&me), world.limit).await);
        assert_eq!(
            listed.into_iter().collect::<BTreeSet<_>>(),
            expected_leads,
            "{me} ({lead_scope:?}) lists their leads"
        );
        for (id, owner) in &lead_owner {
            let path = format!("/leads/{id}");
            let read =
                call(&api, Function::LeadsApi, &as_person(staff("GET", "/leads/{id}", &path, &[], None), &me)).await;
            let visible = sees(&lead_reach, owner.as_deref());
            assert_eq!(read.status, if visible { 200 } else { 404 }, "{me} ({lead_scope:?}) reads lead of {owner:?}");
        }
        // Asking for someone else's list is asking for nothing outside the scope.
        for other in 0..PEOPLE {
            let owner = person(other);
            let listed =
                read_all(&api, Function::CasesApi, "/cases", &[("owner", &owner)], Some(&me), world.limit).await;
            let theirs = expected_cases.iter().filter(|id| case_owner[*id].as_deref() == Some(owner.as_str())).count();
            assert_eq!(listed.len(), theirs, "{me} ({case_scope:?}) lists {owner}'s cases");
        }
    }
}
