//! The HTTP API as CloudFormation receives it: every route the code serves is integrated with
//! its function; the staff routes carry the JWT authorizer and the public ones (the form, the
//! OpenAPI document) do not; the form routes have their own, smaller throttle.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use gestiona_lambda::permissions::Lambda;

use crate::deploy::stack;

#[test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
fn staff_routes_are_authorized_and_the_public_form_has_its_own_throttle() {
    let stack = stack();
    let body = &stack.template_resource("HttpApi")["Properties"]["Body"];
    let mut deployed = BTreeMap::new();
    for (path, methods) in body["paths"].as_object().expect("paths") {
        for (method, operation) in methods.as_object().unwrap() {
            if method == "x-amazon-apigateway-any-method" || method == "parameters" {
                continue;
            }
            deployed.insert(format!("{} {path}", method.to_uppercase()), operation.clone());
        }
    }
    let served: BTreeMap<String, &gestiona_api::Route> = gestiona_api::routes::all().map(|r| (r.key(), r)).collect();
    let console: Vec<String> = gestiona_console::GATEWAY_ROUTES.iter().map(|r| (*r).to_owned()).collect();
    let mut code: Vec<&String> = served.keys().chain(&console).collect();
    code.sort();
    assert_eq!(deployed.keys().collect::<Vec<_>>(), code, "the API's routes are the code's and the console's");

    // The console signs its users in itself: no JWT authorizer on its routes.
    let (console_function, _) = stack.function(Lambda::Console);
    for key in &console {
        let operation = &deployed[key];
        let function = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"].as_str().unwrap_or_default();
        assert!(function.contains(&format!("${{{console_function}.Arn}}")), "{key} goes to the console: {function}");
        assert_eq!(operation["security"], json!([{"NONE": []}]), "{key} is the console's to protect");
    }

    let stage = &stack.template_resource("HttpApiApiGatewayDefaultStage")["Properties"];
    assert_eq!(
        stage["DefaultRouteSettings"],
        json!({"ThrottlingBurstLimit": {"Ref": "ApiThrottleBurst"}, "ThrottlingRateLimit": {"Ref": "ApiThrottleRate"}})
    );
    for (key, route) in served {
        let operation = &deployed[&key];
        let function = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"].as_str().unwrap_or_default();
        let (logical, _) = stack.function(route.function.into());
        assert!(function.contains(&format!("${{{logical}.Arn}}")), "{key} goes to {logical}: {function}");
        assert_eq!(operation["x-amazon-apigateway-integration"]["payloadFormatVersion"], "2.0", "{key}");
        let throttle = &stage["RouteSettings"][&key];
        if route.public() {
            assert_eq!(operation["security"], json!([{"NONE": []}]), "{key} is public");
        } else {
            assert_eq!(operation["security"], json!([{"CognitoJwt": []}]), "{key} needs a token");
        }
        if route.function == gestiona_api::Function::LeadCapture {
            assert_eq!(
                throttle,
                &json!({"ThrottlingBurstLimit": {"Ref": "LeadThrottleBurst"}, "ThrottlingRateLimit": {"Ref": "LeadThrottleRate"}}),
                "{key} has the public form's throttle"
            );
        } else {
            assert_eq!(throttle, &Value::Null, "{key} has the staff API's throttle");
        }
    }

    // The authorizer: the stack's Cognito pool, or the external issuer when one is given.
    let jwt = &body["components"]["securitySchemes"]["CognitoJwt"]["x-amazon-apigateway-authorizer"];
    assert_eq!(jwt["type"], "jwt");
    assert_eq!(jwt["identitySource"], "$request.header.Authorization");
    assert_eq!(jwt["jwtConfiguration"]["issuer"]["Fn::If"][0], "UseCognito");
    assert_eq!(jwt["jwtConfiguration"]["issuer"]["Fn::If"][2], json!({"Ref": "JwtIssuer"}));
    assert_eq!(jwt["jwtConfiguration"]["audience"]["Fn::If"][2], json!({"Ref": "JwtAudience"}));
}
