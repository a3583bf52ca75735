//! The run-time half of least privilege: an SDK interceptor on every AWS client a function
//! builds, which works out the IAM actions an operation needs (a transaction needs one per
//! item, `HeadObject` is `s3:GetObject`, a raw SES v2 send is `ses:SendRawEmail`) and refuses
//! the call before it is signed if the function's [`permissions`](crate::permissions) do not
//! declare them. A code path that starts making a new call fails in every test that reaches it,
//! with the function and the action named, instead of with `AccessDenied` in production.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_sesv2::operation::send_email::SendEmailInput;
use aws_sdk_sqs::operation::send_message::SendMessageInput;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use gestiona_domain::ports::QueueName;

use crate::permissions::{Lambda, Permission, Resource};

/// A call the function's permissions do not declare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{function} calls {action} on {resource}, which gestiona_lambda::permissions does not declare \
     (and the function's IAM role does not grant)"
)]
pub struct Undeclared {
    pub function: &'static str,
    pub action: String,
    pub resource: String,
}

/// What one operation needs: IAM actions on a resource (`None`: one the function has no name
/// for, such as a queue URL it was not configured with).
type Needs = Vec<(String, Option<Resource>)>;

#[derive(Debug, Clone)]
pub struct CallGuard {
    lambda: Lambda,
    permissions: Arc<Vec<Permission>>,
    queues: Arc<HashMap<String, QueueName>>,
}

impl CallGuard {
    /// The guard of `lambda`, which knows its queues by URL.
    pub fn new(lambda: Lambda, queues: &HashMap<QueueName, String>) -> Self {
        Self {
            lambda,
            permissions: Arc::new(lambda.permissions()),
            queues: Arc::new(queues.iter().map(|(name, url)| (url.clone(), *name)).collect()),
        }
    }

    /// Refuses `needs` unless every action is declared on its resource; an index is covered by
    /// a permission on every index.
    pub fn check(&self, needs: &[(String, Option<Resource>)]) -> Result<(), Undeclared> {
        for (action, resource) in needs {
            let declared = resource.is_some_and(|resource| {
                self.permissions.iter().any(|p| {
                    p.action == action
                        && (p.resource == resource
                            || (p.resource == Resource::Indexes && matches!(resource, Resource::Index(_))))
                })
            });
            if !declared {
                return Err(Undeclared {
                    function: self.lambda.binary(),
                    action: action.clone(),
                    resource: resource.map_or_else(|| "an unknown resource".to_owned(), |r| format!("{r:?}")),
                });
            }
        }
        Ok(())
    }

    fn needs(&self, service: &str, operation: &str, input: &Input) -> Needs {
        let one = |action: &str, resource: Option<Resource>| vec![(action.to_owned(), resource)];
        match (service, operation) {
            ("DynamoDB", "Query") => {
                let index = input.downcast_ref::<QueryInput>().and_then(|q| q.index_name().map(str::to_owned));
                let resource = match index {
                    None => Resource::Table,
                    Some(name) => Resource::Index(index_name(&name)),
                };
                one("dynamodb:Query", Some(resource))
            }
            ("DynamoDB", "TransactWriteItems") => input
                .downcast_ref::<TransactWriteItemsInput>()
                .map(|t| {
                    t.transact_items()
                        .iter()
                        .map(|item| {
                            let action = if item.put().is_some() {
                                "dynamodb:PutItem"
                            } else if item.delete().is_some() {
                                "dynamodb:DeleteItem"
                            } else if item.update().is_some() {
                                "dynamodb:UpdateItem"
                            } else {
                                "dynamodb:ConditionCheckItem"
                            };
                            (action.to_owned(), Some(Resource::Table))
                        })
                        .collect()
                })
                // An input the guard cannot read is refused, never waved through.
                .unwrap_or_else(|| one("dynamodb:TransactWriteItems", None)),
            ("DynamoDB", operation) => one(&format!("dynamodb:{operation}"), Some(Resource::Table)),
            ("SQS", "SendMessage" | "SendMessageBatch") => {
                let url = input
                    .downcast_ref::<SendMessageBatchInput>()
                    .and_then(|i| i.queue_url())
                    .or_else(|| input.downcast_ref::<SendMessageInput>().and_then(|i| i.queue_url()));
                let queue = url.and_then(|url| self.queues.get(url)).map(|q| Resource::Queue(*q));
                one("sqs:SendMessage", queue)
            }
            ("S3", "GetObject" | "HeadObject") => one("s3:GetObject", Some(Resource::DocumentObjects)),
            ("S3", "PutObject") => one("s3:PutObject", Some(Resource::DocumentObjects)),
            ("SESv2", "SendEmail") => {
                let raw = input
                    .downcast_ref::<SendEmailInput>()
                    .and_then(|i| i.content())
                    .is_some_and(|content| content.raw().is_some());
                let action = if raw { "ses:SendRawEmail" } else { "ses:SendEmail" };
                one(action, Some(Resource::SenderIdentity))
            }
            ("Cognito Identity Provider", operation) => {
                one(&format!("cognito-idp:{operation}"), Some(Resource::UserPool))
            }
            (service, operation) => one(&format!("{}:{operation}", service.to_lowercase()), None),
        }
    }
}

/// The index names the table has (an unknown one matches no permission).
fn index_name(name: &str) -> &'static str {
    gestiona_domain::ports::Index::ALL.iter().map(|i| i.name()).find(|n| *n == name).unwrap_or("unknown index")
}

impl Intercept for CallGuard {
    fn name(&self) -> &'static str {
        "gestiona::CallGuard"
    }

    // Not `read_before_execution`: a client's interceptors see that before the operation's
    // configuration (its name among it) is in the bag.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Every SDK operation names itself; a request without a name is refused, not let through.
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Err("gestiona::CallGuard: an AWS request without operation metadata".into());
        };
        let needs = self.needs(metadata.service(), metadata.name(), context.input());
        self.check(&needs).map_err(|undeclared| {
            tracing::error!(%undeclared, "refused an undeclared AWS call");
            undeclared.into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gestiona_api::Function;

    fn needs(action: &str, resource: Resource) -> Vec<(String, Option<Resource>)> {
        vec![(action.to_owned(), Some(resource))]
    }

    #[test]
    fn declared_calls_pass_and_others_are_named() {
        let queues = HashMap::from([(QueueName::Notifications, "https://q/notifications".to_owned())]);
        let lead = CallGuard::new(Lambda::Http(Function::LeadCapture), &queues);
        assert!(lead.check(&needs("dynamodb:PutItem", Resource::Table)).is_ok());
        assert!(lead.check(&needs("dynamodb:Query", Resource::Index("GSI2"))).is_ok());
        let refused = lead.check(&needs("dynamodb:Query", Resource::Index("GSI1"))).unwrap_err();
        assert_eq!(refused.function, "lead-capture");
        assert_eq!(refused.action, "dynamodb:Query");
        assert!(lead.check(&needs("dynamodb:Query", Resource::Table)).is_err(), "the public endpoint cannot list");
        assert!(lead.check(&[("sqs:SendMessage".into(), None)]).is_err(), "a queue it was not given");

        let cases = CallGuard::new(Lambda::Http(Function::CasesApi), &queues);
        assert!(cases.check(&needs("dynamodb:Query", Resource::Index("GSI3"))).is_ok(), "index/* covers each");
        let reports = CallGuard::new(Lambda::Http(Function::ReportsApi), &queues);
        assert!(reports.check(&needs("dynamodb:PutItem", Resource::Table)).is_err(), "reports only read");
    }
}
