//! The demo tenant: the brochures' case types with example accounts, contacts and cases, so a
//! new user of the local runner has something to look at.

use serde_json::json;

use super::Services;
use super::tenants::Tenant;
use crate::account::NewAccount;
use crate::actor::{Actor, Role};
use crate::case::{Channel, NewCase, Priority};
use crate::case_type::CaseType;
use crate::contact::NewContact;
use crate::ids::{DocumentNumber, TenantId, UserId};
use crate::money::Money;
use crate::organisation::Organisation;
use crate::receivables::{CollectionsProfile, InvoiceInput, PaymentInput};
use crate::user::User;

/// The demo users and their roles (any token for these names works in the local runner).
pub const DEMO_USERS: &[(&str, Role)] =
    &[("admin", Role::Admin), ("sofia", Role::Supervisor), ("ana", Role::Agent), ("carlos", Role::Agent)];

#[derive(Debug, thiserror::Error)]
#[error("seeding the demo tenant failed: {0}")]
pub struct SeedError(String);

fn fail(e: impl std::fmt::Display) -> SeedError {
    SeedError(e.to_string())
}

/// The case types described in the brochures, with their Spanish names: the definitions in
/// `seed/case_types.json`, which must pass validation (a test checks).
/// The demo tenant's web form, served as a page at `/f/demo/contacto`.
pub const DEMO_FORM: &str = "contacto";

/// The demo form: name, e-mail, phone, company, message, a campaign and a honeypot; leads go
/// round robin to Ana and Carlos.
pub fn demo_form() -> crate::form::FormDefinition {
    serde_json::from_value(json!({
        "name": "Contáctenos",
        "fields": [
            {"name": "nombre", "maps": "name", "required": true, "label": "Nombre completo"},
            {"name": "email", "maps": "email", "required": true, "label": "Correo electrónico"},
            {"name": "telefono", "maps": "phone", "label": "Teléfono"},
            {"name": "empresa", "maps": "company", "label": "Empresa"},
            {"name": "mensaje", "maps": "message", "label": "Mensaje", "maxLength": 2000},
            {"name": "campana", "maps": "campaign", "hiddenValue": "sitio-web"}
        ],
        "honeypot": "website",
        "defaultCountry": "CR",
        "minFillSeconds": 3,
        "assignment": {"agents": ["ana", "carlos"], "strategy": "round_robin"},
        "locale": "es"
    }))
    .expect("the demo form is valid JSON for a form")
}

pub fn demo_case_types() -> Vec<CaseType> {
    serde_json::from_str(include_str!("../../seed/case_types.json")).expect("the seeded case types parse")
}

/// The demo tenant's office hours in San José (`oficina`), which its SLA policies count in.
pub fn demo_calendar() -> crate::calendar::CalendarDef {
    serde_json::from_value(json!({
        "key": "oficina", "name": "Oficina San José", "timeZone": "America/Costa_Rica",
        "week": {
            "monday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "tuesday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "wednesday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "thursday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "friday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
        },
        "holidays": ["2026-12-25", "2027-01-01", "2027-04-01", "2027-04-02"]
    }))
    .expect("the demo calendar parses")
}

/// The demo tenant's SLA policies: per case type, targets in business time and escalations.
pub fn demo_sla_policies() -> Vec<crate::sla::SlaPolicy> {
    [
        json!({"caseType": "queja_calidad", "calendar": "oficina", "targets": [
            {"priority": "urgent", "firstResponseMinutes": 60, "resolutionMinutes": 480},
            {"firstResponseMinutes": 240, "resolutionMinutes": 2400}],
            "escalations": [{"afterMinutes": 120, "action": "notify_supervisor"}, {"afterMinutes": 480, "action": "reassign_to_supervisor"}]}),
        json!({"caseType": "solicitud_credito", "calendar": "oficina", "targets": [{"firstResponseMinutes": 480, "resolutionMinutes": 4800}],
            "escalations": [{"afterMinutes": 240, "action": "notify_supervisor"}]}),
        json!({"caseType": "devolucion", "calendar": "oficina", "targets": [{"firstResponseMinutes": 240, "resolutionMinutes": 2400}]}),
    ]
    .into_iter()
    .map(|policy| serde_json::from_value(policy).expect("the demo SLA policies parse"))
    .collect()
}

impl Services {
    /// Creates the demo tenant with example data unless it exists. Returns whether it seeded.
    /// The tenant record is written last, so an interrupted seed runs again on the next start.
    pub async fn seed_demo(&self, tenant: &TenantId) -> Result<bool, SeedError> {
        if self.tenant(tenant).await.map_err(fail)?.is_some() {
            return Ok(false);
        }
        let admin = Actor {
            tenant: tenant.clone(),
            user: UserId::parse("admin").map_err(fail)?,
            email: Some("admin@demo.gestiona.local".into()),
            role: Role::Admin,
            profile: None,
            circle: None,
            from: None,
            log_retention_days: None,
        };
        self.apply_brochure_template(&admin).await?;
        self.seed_demo_records(&admin).await?;
        let record = Tenant {
            id: tenant.clone(),
            name: "Demo Gestiona".into(),
            legal_id: Some("3-101-000000".into()),
            locale: "es".into(),
            currency: "CRC".into(),
            time_zone: "America/Costa_Rica".into(),
            sender: Some("Demo Gestiona <avisos@demo.gestiona.example>".into()),
            address: Some("Avenida Central 100, San José, Costa Rica".into()),
            logo_url: None,
            app_url: Some("http://127.0.0.1:3000".into()),
        };
        self.create_tenant(&record).await.map_err(fail)?;
        Ok(true)
    }

    /// What a new company starts with, from the brochures: the case types (credit requests,
    /// vehicle reception, quality complaints and the rest), an office calendar, SLA policies and
    /// a contact form. Saving again what is already there changes nothing.
    pub async fn apply_brochure_template(&self, admin: &Actor) -> Result<(), SeedError> {
        let tenant = &admin.tenant;
        // Follow-ups name other types: save those without follow-ups first.
        let mut types = demo_case_types();
        types.sort_by_key(|t| !t.follow_up_types().is_empty());
        for case_type in types {
            if self.get_case_type(admin, &case_type.key).await.is_err() {
                self.save_case_type(tenant, case_type, None).await.map_err(fail)?;
            }
        }
        let office = demo_calendar();
        if self.calendar_def(tenant, "oficina").await.map_err(fail)?.is_none() {
            self.save_calendar(admin, office, None).await.map_err(fail)?;
        }
        for policy in demo_sla_policies() {
            if self.sla_policy(tenant, &policy.case_type).await.map_err(fail)?.is_none() {
                self.save_sla_policy(admin, policy, None).await.map_err(fail)?;
            }
        }
        let form_id = crate::ids::FormId::parse(DEMO_FORM).map_err(fail)?;
        if self.get_form(admin, &form_id).await.is_err() {
            self.put_form(admin, form_id, None, demo_form()).await.map_err(fail)?;
        }
        Ok(())
    }

    /// The demo company's staff, accounts, contacts and cases.
    async fn seed_demo_records(&self, admin: &Actor) -> Result<(), SeedError> {
        let tenant = &admin.tenant;
        // The staff first: cases name their owners, who must be in the directory.
        for (id, name, locale) in [
            ("admin", "Administración", "es"),
            ("sofia", "Sofía Jiménez", "es"),
            ("ana", "Ana Rodríguez", "es"),
            ("carlos", "Carlos Smith", "en"),
        ] {
            let user = User {
                id: UserId::parse(id).map_err(fail)?,
                name: name.into(),
                email: format!("{id}@demo.gestiona.example"),
                locale: locale.into(),
                profile: None,
                active: true,
            };
            self.put_user(tenant, &user).await.map_err(fail)?;
        }
        // Two teams of one branch, so that an agent sees their team's cases and not the
        // other's, and their supervisor sees both.
        self.save_organisation(admin, demo_organisation(), None).await.map_err(fail)?;
        let account = |name: &str, tax_id: &str, industry: &str, branch: &str| NewAccount {
            name: name.into(),
            tax_id: Some(tax_id.into()),
            industry: Some(industry.into()),
            branch: Some(branch.into()),
            ..Default::default()
        };
        let coop = self
            .create_account(admin, account("Cooperativa Médica del Norte", "3-004-045117", "Salud", "Santiago"))
            .await
            .map_err(fail)?;
        let taller = self
            .create_account(admin, account("Transportes Rápidos S.A.", "3-101-123456", "Transporte", "San José"))
            .await
            .map_err(fail)?;
        let cafe = self
            .create_account(admin, account("Café Ñandú Ltda.", "3-102-654321", "Alimentos", "Heredia"))
            .await
            .map_err(fail)?;
        let contact = |first: &str, last: &str, email: &str, account| NewContact {
            first_name: first.into(),
            last_name: Some(last.into()),
            email: Some(email.into()),
            account_id: Some(account),
            locale: Some("es".into()),
            ..Default::default()
        };
        let rubis = self
            .create_contact(admin, contact("Rubis Francisco", "Gómez", "rubis.gomez@coopmedica.example", coop.value.id))
            .await
            .map_err(fail)?;
        let maria = self
            .create_contact(admin, contact("María José", "Araya", "maria.araya@rapidos.example", taller.value.id))
            .await
            .map_err(fail)?;
        self.create_contact(admin, contact("Íñigo", "Núñez", "inigo.nunez@nandu.example", cafe.value.id))
            .await
            .map_err(fail)?;
        let user = |name: &str| UserId::parse(name).expect("demo user ids are valid");
        let cases = [
            NewCase {
                case_type: "solicitud_credito".into(),
                subject: "Crédito de consumo para equipo médico".into(),
                description: Some("Solicita ₡12.500.000 a 48 meses.".into()),
                account_id: Some(coop.value.id),
                contact_id: Some(rubis.value.id),
                owner: Some(user("ana")),
                branch: Some("Santiago".into()),
                channel: Some(Channel::WalkIn),
                priority: Some(Priority::High),
                amount: Some(Money { amount_minor: 1_250_000_000, currency: "CRC".into() }),
                custom_fields: Some(
                    json!({"plazoMeses": 48, "garantia": "solidaria"}).as_object().cloned().unwrap_or_default(),
                ),
            },
            NewCase {
                case_type: "recepcion_vehiculos".into(),
                subject: "Camión placa CL-284571: ruido en la caja de cambios".into(),
                description: None,
                account_id: Some(taller.value.id),
                contact_id: Some(maria.value.id),
                owner: Some(user("carlos")),
                branch: Some("San José".into()),
                channel: Some(Channel::Phone),
                priority: Some(Priority::Normal),
                amount: None,
                custom_fields: Some(
                    json!({"placa": "CL-284571", "kilometraje": 184_320}).as_object().cloned().unwrap_or_default(),
                ),
            },
            NewCase {
                case_type: "queja_calidad".into(),
                subject: "Lote de café 2026-41 con humedad".into(),
                description: Some("El cliente reporta sacos húmedos en la última entrega.".into()),
                account_id: Some(cafe.value.id),
                contact_id: None,
                owner: Some(user("ana")),
                branch: Some("Heredia".into()),
                channel: Some(Channel::Email),
                priority: Some(Priority::Urgent),
                amount: Some(Money { amount_minor: 4_500_000, currency: "USD".into() }),
                custom_fields: None,
            },
        ];
        for case in cases {
            self.create_case(admin, case).await.map_err(fail)?;
        }
        Ok(())
    }
}

/// The demo company's branches and teams.
fn demo_organisation() -> Organisation {
    serde_json::from_value(json!({
        "branches": [
            {"id": "san-jose", "name": "San José", "region": "Central", "zone": "Centro"},
            {"id": "heredia", "name": "Heredia", "region": "Central", "zone": "Norte"}
        ],
        "teams": [
            {"id": "servicio", "name": "Servicio al cliente", "branch": "san-jose",
             "members": ["ana"], "supervisors": ["sofia"]},
            {"id": "taller", "name": "Taller", "branch": "san-jose", "members": ["carlos"], "supervisors": ["sofia"]}
        ]
    }))
    .expect("the demo organisation parses")
}

impl Services {
    /// The demo company's sales: opportunities of Ana's, Carlos's and Sofía's at every step of
    /// the pipeline, closing over the coming months, so the board and the forecast have
    /// something to show on first start. Apart from [`Self::seed_demo`], like the receivables.
    pub async fn seed_demo_sales(&self, tenant: &TenantId) -> Result<(), SeedError> {
        let admin = &Actor::with_role(tenant, &UserId::parse("admin").map_err(fail)?, Role::Admin);
        let all = super::PageRequest::new(Some(10), None).map_err(fail)?;
        let accounts = self.list_accounts(admin, &Default::default(), &all).await.map_err(fail)?.items;
        let today = self.tenant_today(tenant).await.map_err(fail)?;
        let opportunities = [
            (
                "Cooperativa Médica del Norte",
                "Equipo de laboratorio 2027",
                "sofia",
                "negotiation",
                980_000_000,
                20,
                "Equipos",
            ),
            (
                "Transportes Rápidos S.A.",
                "Flota de reparto, 12 unidades",
                "carlos",
                "proposal",
                4_500_000_000,
                45,
                "Flotas",
            ),
            ("Café Ñandú Ltda.", "Cafeteras para 8 tiendas", "ana", "qualification", 320_000_000, 60, "Equipos"),
            ("Café Ñandú Ltda.", "Mantenimiento anual", "ana", "prospecting", 96_000_000, 90, "Servicio"),
            ("Transportes Rápidos S.A.", "Repuestos de frenos", "carlos", "won", 75_000_000, 5, "Repuestos"),
        ];
        for (account, name, owner, stage, amount_minor, in_days, line) in opportunities {
            let account = accounts
                .iter()
                .find(|a| a.value.name == account)
                .ok_or_else(|| fail(format!("no demo account {account}")))?
                .value
                .id;
            let input = crate::sales::NewOpportunity {
                name: name.into(),
                account_id: account,
                contact_ids: Vec::new(),
                pipeline: None,
                stage: Some(crate::ids::StageKey::parse(stage).map_err(fail)?),
                amount: Money { amount_minor, currency: "CRC".into() },
                expected_close_date: Some(today.saturating_add(jiff::Span::new().days(in_days))),
                probability: None,
                product_line: Some(line.into()),
                competitors: Vec::new(),
                owner: Some(UserId::parse(owner).map_err(fail)?),
                source: None,
                campaign: None,
            };
            self.create_opportunity(admin, input).await.map_err(fail)?;
        }
        Ok(())
    }

    /// A hardware shop's catalogue for the demo tenant, priced in two lists: the default one and
    /// the distributors' list (with quantity breaks and a dated offer) that the transport
    /// company is priced from. Local runner only, like [`Self::seed_demo_sales`].
    pub async fn seed_demo_catalogue(&self, tenant: &TenantId) -> Result<(), SeedError> {
        use crate::ids::{PriceListKey, ProductCode};
        use crate::sales::price_list::{Price, PriceListInput, PriceRowInput, PriceSync, Quantity};
        let admin = &Actor::with_role(tenant, &UserId::parse("admin").map_err(fail)?, Role::Admin);
        let products = [
            (
                "TOR-0412",
                "Tornillo hexagonal 3/8\" galvanizado, caja de 100",
                "Ferretería",
                "Tornillería",
                "caja",
                1300,
                1_250_000,
            ),
            ("TOR-0413", "Tornillo para madera 1/4\", caja de 200", "Ferretería", "Tornillería", "caja", 1300, 980_000),
            ("MAR-0100", "Martillo de uña 16 oz", "Ferretería", "Herramientas", "unidad", 1300, 890_000),
            ("PIN-0100", "Pintura de látex blanco mate", "Pinturas", "Látex", "galón", 1300, 2_400_000),
            ("PIN-0200", "Esmalte anticorrosivo negro", "Pinturas", "Esmaltes", "galón", 1300, 3_150_000),
            ("CAF-0010", "Cafetera industrial de 2 grupos", "Equipos", "Cafeteras", "unidad", 1300, 185_000_000),
            ("SRV-0001", "Mantenimiento preventivo, visita", "Servicio", "Mantenimiento", "visita", 1300, 4_500_000),
        ];
        let mut general = Vec::new();
        let mut distributors = Vec::new();
        for (code, name, department, group, unit, tax, price) in products {
            let input = crate::sales::product::ProductInput {
                name: name.into(),
                description: None,
                department: Some(department.into()),
                group: Some(group.into()),
                subgroup: None,
                unit: Some(unit.into()),
                tax_rate_bp: Some(tax),
                warranty_months: (department == "Equipos").then_some(12),
                active: None,
                variants: Vec::new(),
            };
            let code = ProductCode::parse(code).map_err(fail)?;
            self.upsert_product(admin, &code, &input).await.map_err(fail)?;
            let at = |min: i64, unit_price_minor: i64| Price {
                min_quantity: Quantity::from_milli(min * 1000).unwrap_or_default(),
                unit_price_minor,
                valid_from: None,
                valid_to: None,
            };
            general.push(PriceRowInput { product: code.clone(), prices: vec![at(0, price)] });
            let today = self.tenant_today(tenant).await.map_err(fail)?;
            let offer = Price {
                valid_from: Some(today),
                valid_to: Some(today.saturating_add(jiff::Span::new().days(30))),
                ..at(10, price * 80 / 100)
            };
            distributors.push(PriceRowInput {
                product: code,
                prices: vec![at(0, price * 92 / 100), at(10, price * 88 / 100), offer],
            });
        }
        for (key, name, default, rows) in
            [("general", "Lista general", true, general), ("distribuidores", "Distribuidores", false, distributors)]
        {
            let key = PriceListKey::parse(key).map_err(fail)?;
            let settings = PriceListInput { name: name.into(), currency: "CRC".into(), active: None, default };
            self.save_price_list(admin, &key, &settings, None).await.map_err(fail)?;
            let sync = PriceSync { version: None, rows, remove: Vec::new(), publish: true };
            self.sync_prices(admin, &key, &sync).await.map_err(fail)?;
        }
        let all = super::PageRequest::new(Some(10), None).map_err(fail)?;
        let accounts = self.list_accounts(admin, &Default::default(), &all).await.map_err(fail)?.items;
        if let Some(transport) = accounts.iter().find(|a| a.value.name == "Transportes Rápidos S.A.") {
            let list = PriceListKey::parse("distribuidores").map_err(fail)?;
            self.set_account_price_list(admin, transport.value.id, Some(&list)).await.map_err(fail)?;
        }
        Ok(())
    }

    /// Invoices of every age for *Cartera* in the demo tenant, dated from today: the
    /// cooperative with a credit limit and Ana as its collections agent, one invoice partly
    /// paid, one long overdue. Apart from [`Self::seed_demo`] so that tests of reminders and
    /// aging start from a tenant that owes nothing; the local runner and the console's tests
    /// call both.
    pub async fn seed_demo_receivables(&self, tenant: &TenantId) -> Result<(), SeedError> {
        let admin = &Actor::with_role(tenant, &UserId::parse("admin").map_err(fail)?, Role::Admin);
        let all = super::PageRequest::new(Some(10), None).map_err(fail)?;
        let accounts = self.list_accounts(admin, &Default::default(), &all).await.map_err(fail)?.items;
        let id_of = |name: &str| {
            accounts
                .iter()
                .find(|a| a.value.name == name)
                .map(|a| a.value.id)
                .ok_or_else(|| fail(format!("no demo account {name}")))
        };
        let coop = id_of("Cooperativa Médica del Norte")?;
        let taller = id_of("Transportes Rápidos S.A.")?;
        let cafe = id_of("Café Ñandú Ltda.")?;
        let profile = CollectionsProfile {
            credit_limit_minor: Some(1_000_000_000),
            credit_currency: Some("CRC".into()),
            credit_days: Some(30),
            collections_agent: Some(UserId::parse("ana").map_err(fail)?),
            ..Default::default()
        };
        self.save_collections_profile(admin, coop, profile, None).await.map_err(fail)?;
        let today = self.tenant_today(&admin.tenant).await.map_err(fail)?;
        let day = |offset: i64| today.saturating_add(jiff::Span::new().days(offset));
        let invoices = [
            ("FAC-2026-0412", coop, "CRC", 345_000_000, -20, 10, "Equipo de laboratorio, primer tracto"),
            ("FAC-2026-0388", coop, "CRC", 125_000_050, -75, -45, "Mantenimiento de equipos, setiembre"),
            ("FAC-2026-0401", taller, "CRC", 89_000_000, -40, -10, "Repuestos de caja de cambios"),
            ("FAC-2026-0357", cafe, "USD", 420_000, -130, -100, "Sacos de yute, lote 2026-30"),
            ("FAC-2026-0420", cafe, "USD", 150_000, -25, 5, "Etiquetas de exportación"),
        ];
        for (number, account, currency, total_minor, issued, due, description) in invoices {
            let input = InvoiceInput {
                account_id: account,
                contact_id: None,
                currency: currency.into(),
                issued_on: day(issued),
                due_on: Some(day(due)),
                total_minor,
                description: Some(description.into()),
            };
            let number = DocumentNumber::parse(number).map_err(fail)?;
            self.upsert_invoice(admin, &number, &input).await.map_err(fail)?;
        }
        let paid =
            PaymentInput { amount_minor: 50_000, paid_on: day(-3), method: Some("Transferencia".into()), note: None };
        let number = DocumentNumber::parse("FAC-2026-0420").map_err(fail)?;
        let payment = DocumentNumber::parse("BNCR-778812").map_err(fail)?;
        self.record_payment(admin, &number, &payment, paid).await.map_err(fail)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_form_is_valid() {
        assert_eq!(demo_form().validate(), Ok(()));
    }

    #[test]
    fn every_demo_case_type_is_valid() {
        let types = demo_case_types();
        assert_eq!(types.len(), 6);
        for t in types {
            t.validate().unwrap_or_else(|e| panic!("{}: {e}", t.key));
        }
    }
}
