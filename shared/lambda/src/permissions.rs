//! Least privilege, written down once: every AWS call each function's code makes, as IAM
//! actions on the kinds of resource they touch.
//!
//! Two checks keep this list honest. At run time every AWS client a function builds carries a
//! [`CallGuard`](crate::guard::CallGuard) that refuses a call the list does not declare, with
//! an error that names the function and the action (IAM would refuse it too, later and less
//! clearly). In the test command, the template deployed into the emulator's CloudFormation
//! must grant each function exactly these actions on these resources: no fewer (the function
//! would fail in AWS) and no more (least privilege). See `tests/tests/infra_stack.rs`.

use gestiona_api::Function;
use gestiona_domain::ports::QueueName;

/// What a permission is granted on, resolved to ARNs by the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// The table's items (`Table.Arn`).
    Table,
    /// Every index of the table (`${Table.Arn}/index/*`).
    Indexes,
    /// One index of the table.
    Index(&'static str),
    Queue(QueueName),
    /// The objects of the documents bucket, never the bucket itself (no listing).
    DocumentObjects,
    /// The files staff upload (`{tenant}/cases/{case}/uploads/…`), never a generated document.
    UploadObjects,
    /// The SES identity e-mails are sent from.
    SenderIdentity,
    /// The SES configuration set the sends go through.
    EmailConfigurationSet,
    /// The Cognito user pool staff sign in with.
    UserPool,
}

/// One IAM action on one kind of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission {
    pub action: &'static str,
    pub resource: Resource,
}

const fn on(action: &'static str, resource: Resource) -> Permission {
    Permission { action, resource }
}

/// The item writes of a transaction are authorised one by one (`TransactWriteItems` is not an
/// IAM action): a conditional write set needs these three on the table.
const TRANSACTIONS: [Permission; 3] = [
    on("dynamodb:PutItem", Resource::Table),
    on("dynamodb:DeleteItem", Resource::Table),
    on("dynamodb:ConditionCheckItem", Resource::Table),
];
const READS: [Permission; 4] = [
    on("dynamodb:GetItem", Resource::Table),
    on("dynamodb:BatchGetItem", Resource::Table),
    on("dynamodb:Query", Resource::Table),
    on("dynamodb:Query", Resource::Indexes),
];
/// `UpdateItem … ADD`: the atomic counters (rate windows, round-robin cursors, sequences) and the
/// running totals added to inside transactions (the sales forecast).
const COUNTERS: Permission = on("dynamodb:UpdateItem", Resource::Table);
/// Inviting staff into the user pool and stopping or letting them in again.
const SIGN_INS: [Permission; 6] = [
    on("cognito-idp:AdminCreateUser", Resource::UserPool),
    on("cognito-idp:AdminGetUser", Resource::UserPool),
    on("cognito-idp:AdminAddUserToGroup", Resource::UserPool),
    on("cognito-idp:AdminDisableUser", Resource::UserPool),
    on("cognito-idp:AdminEnableUser", Resource::UserPool),
    on("cognito-idp:AdminUserGlobalSignOut", Resource::UserPool),
];
const NOTIFY: Permission = on("sqs:SendMessage", Resource::Queue(QueueName::Notifications));
const RENDER: Permission = on("sqs:SendMessage", Resource::Queue(QueueName::Documents));
const ANNOUNCE: Permission = on("sqs:SendMessage", Resource::Queue(QueueName::Webhooks));

/// Every Lambda function of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lambda {
    Http(Function),
    /// The staff console: its own routes, its own sessions.
    Console,
    SlaSweep,
    InvoiceSweep,
    OutboxRelay,
    Notifier,
    Documents,
    Webhooks,
}

impl From<Function> for Lambda {
    fn from(function: Function) -> Self {
        Lambda::Http(function)
    }
}

impl Lambda {
    pub const ALL: [Lambda; 16] = [
        Lambda::Http(Function::AccountsApi),
        Lambda::Http(Function::CasesApi),
        Lambda::Http(Function::TransitionsApi),
        Lambda::Http(Function::ReportsApi),
        Lambda::Http(Function::LeadsApi),
        Lambda::Http(Function::SalesApi),
        Lambda::Http(Function::LeadCapture),
        Lambda::Http(Function::ReceivablesApi),
        Lambda::Http(Function::DocumentsApi),
        Lambda::Console,
        Lambda::SlaSweep,
        Lambda::InvoiceSweep,
        Lambda::OutboxRelay,
        Lambda::Notifier,
        Lambda::Documents,
        Lambda::Webhooks,
    ];

    /// The binary (`functions/<name>`), which is also `BuildProperties.Binary`.
    pub fn binary(self) -> &'static str {
        match self {
            Lambda::Http(function) => function.name(),
            Lambda::Console => "console",
            Lambda::SlaSweep => "sla-sweep",
            Lambda::InvoiceSweep => "invoice-sweep",
            Lambda::OutboxRelay => "outbox-relay",
            Lambda::Notifier => "notifier",
            Lambda::Documents => "documents",
            Lambda::Webhooks => "webhooks",
        }
    }

    /// The queue whose messages invoke the function (an SQS event source).
    pub fn consumes(self) -> Option<QueueName> {
        match self {
            Lambda::Notifier => Some(QueueName::Notifications),
            Lambda::Documents => Some(QueueName::Documents),
            Lambda::Webhooks => Some(QueueName::Webhooks),
            _ => None,
        }
    }

    /// Every AWS call the function's code makes, as IAM actions on resources.
    pub fn permissions(self) -> Vec<Permission> {
        let list: &[&[Permission]] = match self {
            // Replaying a webhook delivery queues its attempt.
            Lambda::Http(Function::AccountsApi) => &[&READS, &TRANSACTIONS, &[ANNOUNCE], &SIGN_INS],
            Lambda::Http(Function::CasesApi) => &[&READS, &TRANSACTIONS, &[COUNTERS, NOTIFY, RENDER, ANNOUNCE]],
            Lambda::Http(Function::DocumentsApi) => &[
                &READS,
                &TRANSACTIONS,
                &[RENDER],
                // Presigned download and upload URLs are signed with the function's role, and a
                // finished upload is checked with HeadObject (authorised as GetObject).
                &[on("s3:GetObject", Resource::DocumentObjects), on("s3:PutObject", Resource::DocumentObjects)],
            ],
            Lambda::Http(Function::TransitionsApi) => &[&READS, &TRANSACTIONS, &[COUNTERS, NOTIFY, RENDER, ANNOUNCE]],
            Lambda::Http(Function::ReportsApi) => &[&READS],
            Lambda::Http(Function::LeadsApi) => &[&READS, &TRANSACTIONS, &[COUNTERS, NOTIFY, ANNOUNCE]],
            // An opportunity's change adds to the forecast's running totals in its transaction.
            Lambda::Http(Function::SalesApi) => &[&READS, &TRANSACTIONS, &[COUNTERS, ANNOUNCE]],
            // The public endpoint: no base-table query (it cannot list anything) and one index,
            // an agent's open leads for least-open assignment.
            Lambda::Http(Function::LeadCapture) => &[
                &TRANSACTIONS,
                &[
                    on("dynamodb:GetItem", Resource::Table),
                    on("dynamodb:BatchGetItem", Resource::Table),
                    COUNTERS,
                    on("dynamodb:Query", Resource::Index("GSI2")),
                ],
                // A captured lead is announced to webhooks: whether anyone wants it is one
                // item read by key (no query).
                &[NOTIFY, ANNOUNCE],
            ],
            Lambda::Http(Function::ReceivablesApi) => &[&READS, &TRANSACTIONS, &[ANNOUNCE]],
            // Staff work through the same use cases as the cases and transitions functions;
            // sessions are items of the table.
            Lambda::Console => &[
                &READS,
                &TRANSACTIONS,
                &[COUNTERS, NOTIFY, RENDER, ANNOUNCE],
                // Download and upload links are signed with the console's role; it checks an
                // upload that arrived (HEAD is GetObject) and stores a file posted without
                // JavaScript.
                &[on("s3:GetObject", Resource::DocumentObjects), on("s3:PutObject", Resource::UploadObjects)],
                &SIGN_INS,
            ],
            Lambda::SlaSweep => &[&READS, &TRANSACTIONS, &[NOTIFY, RENDER]],
            // An invoice falling overdue is announced to webhooks.
            Lambda::InvoiceSweep => &[&READS, &TRANSACTIONS, &[NOTIFY, RENDER, ANNOUNCE]],
            // Reads the outbox index, publishes, deletes what the queue accepted.
            Lambda::OutboxRelay => &[&[
                on("dynamodb:Query", Resource::Indexes),
                on("dynamodb:DeleteItem", Resource::Table),
                NOTIFY,
                RENDER,
                ANNOUNCE,
            ]],
            // SES v2 `SendEmail` with raw MIME content is authorised as `ses:SendRawEmail`, on
            // both the identity and the configuration set.
            Lambda::Notifier => &[
                &READS,
                &TRANSACTIONS,
                &[
                    on("ses:SendRawEmail", Resource::SenderIdentity),
                    on("ses:SendRawEmail", Resource::EmailConfigurationSet),
                ],
            ],
            // Retries go back on its own queue; a disabled subscription's admin is e-mailed.
            Lambda::Webhooks => &[&READS, &TRANSACTIONS, &[NOTIFY, ANNOUNCE]],
            Lambda::Documents => &[
                &READS,
                &TRANSACTIONS,
                &[
                    NOTIFY,
                    ANNOUNCE,
                    on("s3:GetObject", Resource::DocumentObjects),
                    on("s3:PutObject", Resource::DocumentObjects),
                ],
            ],
        };
        list.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_declares_distinct_permissions() {
        for lambda in Lambda::ALL {
            let permissions = lambda.permissions();
            assert!(!permissions.is_empty(), "{lambda:?}");
            let distinct: std::collections::HashSet<_> = permissions.iter().collect();
            assert_eq!(distinct.len(), permissions.len(), "{lambda:?} declares a permission twice");
            assert!(permissions.iter().all(|p| p.action.contains(':')), "{lambda:?}");
        }
        let binaries: std::collections::HashSet<_> = Lambda::ALL.iter().map(|l| l.binary()).collect();
        assert_eq!(binaries.len(), Lambda::ALL.len());
    }

    #[test]
    fn the_public_endpoint_cannot_list_or_render() {
        let lead = Lambda::Http(Function::LeadCapture).permissions();
        assert!(!lead.contains(&on("dynamodb:Query", Resource::Table)));
        assert!(!lead.contains(&on("dynamodb:Query", Resource::Indexes)));
        assert!(!lead.contains(&RENDER));
        assert!(!lead.iter().any(|p| p.action.starts_with("s3:")));
    }
}
