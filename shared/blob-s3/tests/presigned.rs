//! The SigV4-only download and upload links must be exactly the links the S3 client presigns:
//! same path, same parameters, same signature, for the same credentials and instant.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::presigning::PresigningConfig;
use gestiona_blob_s3::PresignedS3;
use gestiona_domain::document::attachment_disposition;

fn parts(url: &str) -> (String, BTreeMap<String, String>) {
    let (path, query) = url.split_once('?').expect("a query");
    let params = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    (path.to_owned(), params)
}

#[tokio::test]
async fn links_match_the_s3_clients_presigned_urls() {
    let credentials = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("token/with+chars".into()),
        None,
        "test",
    );
    let (region, endpoint, bucket) = ("us-east-1", "https://s3.us-east-1.amazonaws.com", "gestiona-documents");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(credentials.clone())
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let links = PresignedS3::new(
        SharedCredentialsProvider::new(credentials.clone()),
        region.into(),
        endpoint.into(),
        bucket.into(),
    );

    for (key, file_name) in [
        ("demo/cases/01JD0000000000000000000000/documents/01JD0000000000000000000001.pdf", "Cotización Q-12.pdf"),
        ("demo/cases/x/uploads/foto del saco (1).jpg", "foto del saco (1).jpg"),
    ] {
        let expected = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .response_content_disposition(attachment_disposition(file_name))
            .presigned(
                PresigningConfig::builder().start_time(now).expires_in(Duration::from_secs(300)).build().unwrap(),
            )
            .await
            .unwrap();
        let ours = links.url_at(&credentials, &PresignedS3::get_request(key, file_name, 300), now).unwrap();
        let (expected_path, expected_params) = parts(expected.uri());
        let (path, params) = parts(&ours);
        assert_eq!(path, expected_path, "{key}");
        assert_eq!(params, expected_params, "{key}");
        assert!(params.contains_key("X-Amz-Signature") && params["X-Amz-Expires"] == "300");

        let content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        let expected = client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .content_length(48_213)
            .if_none_match("*")
            .presigned(
                PresigningConfig::builder().start_time(now).expires_in(Duration::from_secs(300)).build().unwrap(),
            )
            .await
            .unwrap();
        let ours = links.url_at(&credentials, &PresignedS3::put_request(key, content_type, 48_213, 300), now).unwrap();
        let (expected_path, expected_params) = parts(expected.uri());
        let (path, params) = parts(&ours);
        assert_eq!(path, expected_path, "{key}");
        assert_eq!(params, expected_params, "{key}");
        assert_eq!(params["X-Amz-SignedHeaders"], "content-length;content-type;host;if-none-match");
    }
    assert_eq!(links.origin(), "https://s3.us-east-1.amazonaws.com");
}
