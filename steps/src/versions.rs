//! The versions every report and manifest names, so that a pipeline or an auditor knows what
//! it is reading: this suite's, the requirement catalogue's, and the shapes of `summary.json`
//! and of the target file (their JSON Schemas are in `schemas/`).
//!
//! A schema version goes up when a field is removed or changes meaning; adding a field keeps
//! it. The catalogue's version goes up whenever an ID or a rule changes
//! (`requirements.toml`; a test holds it to its rules' fingerprint).

use serde::Serialize;

/// The shape of `summary.json` (`schemas/summary.schema.json`).
pub const SUMMARY_SCHEMA: u32 = 1;
/// The shape of the target file (`schemas/target.schema.json`); a target file may name it
/// as `schema_version`.
pub const TARGET_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// This suite's version.
    pub suite: String,
    /// The requirement catalogue's version.
    pub catalogue: u32,
    pub summary_schema: u32,
    pub target_schema: u32,
}

impl Versions {
    pub fn with_catalogue(catalogue: u32) -> Self {
        Self {
            suite: env!("CARGO_PKG_VERSION").to_owned(),
            catalogue,
            summary_schema: SUMMARY_SCHEMA,
            target_schema: TARGET_SCHEMA,
        }
    }
}

/// The JSON Schema of `T` (draft 2020-12) under `title` and `description`, as serialised
/// (`settings.for_serialize()`) or as read (`for_deserialize()`).
fn schema_of<T: schemars::JsonSchema>(
    settings: schemars::generate::SchemaSettings,
    title: &str,
    description: String,
) -> serde_json::Value {
    let mut schema = settings.into_generator().into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    schema.to_value()
}

/// The JSON Schema of `summary.json`, as this suite writes it.
pub fn summary_schema() -> serde_json::Value {
    let mut schema = schema_of::<crate::report::Summary>(
        schemars::generate::SchemaSettings::draft2020_12().for_serialize(),
        "summary.json",
        format!("The machine-readable report of a conformance run, summary schema version {SUMMARY_SCHEMA}"),
    );
    // A summary of another shape's version does not validate against this one.
    schema["$defs"]["Versions"]["properties"]["summary_schema"] =
        serde_json::json!({ "const": SUMMARY_SCHEMA });
    schema
}

/// The JSON Schema of the target file (TOML, read as the JSON it maps to: editors that take
/// JSON Schemas for TOML, such as Taplo's, use it as is).
pub fn target_schema() -> serde_json::Value {
    let mut schema = schema_of::<crate::target::Target>(
        schemars::generate::SchemaSettings::draft2020_12().for_deserialize(),
        "conformance target file",
        format!(
            "What the conformance suite checks and how it reaches it, target-file schema version {TARGET_SCHEMA}"
        ),
    );
    schema["properties"]["schema_version"]["enum"] = serde_json::json!([TARGET_SCHEMA, null]);
    // What `Target::parse` requires across fields: where the service is (an address, several,
    // or an image), and the fakes' inbox unless the suite starts them for an image.
    schema["allOf"] = serde_json::json!([
        { "anyOf": [{ "required": ["base_url"] }, { "required": ["base_urls"] }, { "required": ["container"] }] },
        { "not": { "required": ["base_url", "base_urls"] } },
        {
            "if": { "not": { "required": ["container"] } },
            "then": { "required": ["inbox"], "properties": { "inbox": { "required": ["url"] } } }
        }
    ]);
    schema
}

/// A schema as published in `schemas/`: pretty JSON.
pub fn pretty(schema: &serde_json::Value) -> String {
    serde_json::to_string_pretty(schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn problems(schema: &serde_json::Value, instance: &serde_json::Value) -> Vec<String> {
        let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
        validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }

    /// The published schemas are what this suite writes and reads: a change to either shape
    /// shows up as a change to `schemas/`, for review (and a version bump when incompatible).
    #[test]
    fn the_published_schemas_are_this_suites() {
        for (file, schema, of) in [
            ("summary.schema.json", summary_schema(), "summary"),
            ("target.schema.json", target_schema(), "target"),
        ] {
            let published = std::fs::read_to_string(root().join("schemas").join(file)).unwrap_or_default();
            assert!(
                published.trim_end() == pretty(&schema),
                "schemas/{file} is not what this suite writes: run `conformance schema {of} > schemas/{file}`, \
                 and raise the version in steps/src/versions.rs if a field was removed or changed meaning"
            );
        }
    }

    /// The example target, the README's, and the fixtures' `[browser]` sections (under a
    /// minimal target) are read alike by the suite and the schema.
    #[test]
    fn every_target_file_in_the_repository_meets_the_schema() {
        let schema = target_schema();
        let read = |path: PathBuf| (std::fs::read_to_string(&path).unwrap(), path.display().to_string());
        let mut files = vec![read(root().join("ci/example-target.toml"))];
        let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
        let example = readme
            .split("### The target file")
            .nth(1)
            .and_then(|rest| rest.split("```toml\n").nth(1))
            .and_then(|block| block.split("```").next())
            .expect("README: a toml block under \"### The target file\"");
        files.push((example.to_owned(), "README.md, \"The target file\"".into()));
        let documented: Vec<&str> = include_str!("target.rs")
            .lines()
            .skip_while(|l| *l != "//! ```toml")
            .skip(1)
            .take_while(|l| *l != "//! ```")
            .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or_default())
            .collect();
        files.push((documented.join("\n"), "target.rs, its documentation".into()));
        for entry in std::fs::read_dir(root().join("steps/cli/tests/fixtures")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let (section, name) = read(path);
                files
                    .push((format!("base_url = \"http://x\"\n[inbox]\nurl = \"http://y\"\n{section}"), name));
            }
        }
        assert!(files.len() >= 4, "{files:?}");
        for (text, name) in files {
            crate::target::Target::parse(&text).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            let json = serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap();
            assert_eq!(problems(&schema, &json), Vec::<String>::new(), "{name}");
        }
    }

    /// What the suite refuses, the schema refuses too: a misspelled key, a wrong type, a
    /// missing inbox, a file written for another version.
    #[test]
    fn the_target_schema_refuses_what_the_suite_refuses() {
        let schema = target_schema();
        let good = "base_url = \"http://x\"\n[inbox]\nurl = \"http://y\"\n";
        let json = |text: &str| serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap();
        assert!(problems(&schema, &json(good)).is_empty());
        let image = "[container]\nimage = \"mine:1\"\nport = 8080\n";
        assert!(problems(&schema, &json(image)).is_empty(), "an image needs no address nor inbox");
        crate::target::Target::parse(image).unwrap();
        for bad in [
            format!("base_ulr = \"http://x\"\n{good}"),
            good.replace("[inbox]", "[inbox]\nwait_secs = \"ten\""),
            "base_url = \"http://x\"\n".to_owned(),
            format!("schema_version = 2\n{good}"),
            good.replace("base_url", "base_urls = [\"http://z\"]\nbase_url"),
            "[inbox]\nurl = \"http://y\"\n".to_owned(),
            good.replace("[inbox]", "[browser]\nlabel = {}\n[inbox]"),
        ] {
            assert!(crate::target::Target::parse(&bad).is_err(), "the suite takes {bad}");
            assert!(!problems(&schema, &json(&bad)).is_empty(), "the schema takes {bad}");
        }
    }

    #[test]
    fn the_target_schema_names_every_notice_event() {
        let text = target_schema().to_string();
        for notice in crate::notices::Notice::ALL {
            assert!(text.contains(&format!("`{}`", notice.name())), "{} is not named", notice.name());
        }
    }

    /// A summary with every optional part meets the schema; one of another shape does not.
    #[test]
    fn summaries_meet_the_schema() {
        use crate::report::{ScenarioResult, Status, StepResult, Summary};
        let catalogue = crate::requirements::Catalogue::parse(
            "version = 3\n[[requirement]]\nid = \"OTP-1\"\ngroup = \"OTP\"\nrule = \"r\"\nsource = \"s\"\n\
             [[requirement]]\nid = \"OTP-2\"\ngroup = \"OTP\"\nrule = \"r\"\nsource = \"s\"\n\
             not_checkable_from_outside = \"stored hashes\"\n",
        )
        .unwrap();
        let scenario = ScenarioResult {
            feature: "Codes".into(),
            scenario: "A code works once".into(),
            location: "codes.feature:12".into(),
            tags: vec!["OTP-1".into(), "OTP-9".into()],
            status: Status::Failed,
            detail: Some("When I enter it: expected accepted, got refused".into()),
            steps: vec![StepResult { text: "When I enter it".into(), status: Status::Failed }],
            transcript: vec!["POST /api/v1/codes → 200".into()],
            driver: "browser".into(),
            example: Some("code: 123456".into()),
            screenshot: Some("failures/browser-codes-feature-12.png".into()),
        };
        let mut summary = Summary::new(
            &catalogue,
            vec![scenario],
            vec![],
            vec!["bad.feature: oops".into()],
            1.5,
            &Default::default(),
        );
        summary.stopped_early("the first 3 failed alike".into());
        summary
            .identities
            .push(crate::world::Identity { email: "a@example.com".into(), phone: "+15550001".into() });
        let schema = summary_schema();
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(problems(&schema, &json), Vec::<String>::new());
        assert_eq!(json["versions"]["catalogue"], 3);

        let mut other = json.clone();
        other["versions"]["summary_schema"] = (SUMMARY_SCHEMA + 1).into();
        assert!(!problems(&schema, &other).is_empty(), "another shape's version passes");
        let mut other = json.clone();
        other["verdict"] = "PROBABLY_FINE".into();
        assert!(!problems(&schema, &other).is_empty(), "an unknown verdict passes");
        let mut other = json;
        other.as_object_mut().unwrap().remove("requirements");
        assert!(!problems(&schema, &other).is_empty(), "a summary without requirements passes");
    }
}
