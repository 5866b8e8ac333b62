//! The committed OpenAPI document (`reference-server/openapi.json`) must be what the code
//! generates. After changing the API, refresh it with
//! `UPDATE_OPENAPI=1 cargo test -p reference-server --test api openapi`.

use reference_server::http::api::openapi::ApiDoc;
use utoipa::OpenApi;

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = ApiDoc::openapi().to_pretty_json().expect("serializable") + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "reference-server/openapi.json is out of date: run UPDATE_OPENAPI=1 cargo test -p reference-server --test api openapi"
    );
}

#[test]
fn every_operation_documents_its_typed_answers() {
    let doc = ApiDoc::openapi();
    assert!(doc.paths.paths.len() >= 20, "{} paths", doc.paths.paths.len());
    for (path, item) in &doc.paths.paths {
        for op in [&item.get, &item.post].into_iter().flatten() {
            assert!(op.responses.responses.contains_key("200"), "{path} has no 200 answer");
            assert!(op.operation_id.is_some(), "{path} has no operation id");
        }
    }
}
