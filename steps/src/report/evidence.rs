//! Evidence an auditor can check: every run writes `manifest.json` — what was run (the suite's
//! version and commit, a SHA-256 of every feature file and of the catalogue), against what (the
//! target file with its secrets removed, the declared policy and capabilities, the waivers),
//! how (drivers, times), what came of it (the verdict and every requirement ID's result) and a
//! SHA-256 of every other file of the report — and `manifest.sig`, an Ed25519 signature over
//! the manifest's exact bytes.
//!
//! A signature shows who signed only to someone who already trusts the public key:
//! `verify-report` without a key checks that nothing changed since signing and says the signer
//! is unknown; with `--public-key` it also says whether that key signed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";

/// What a run's report directory holds, as signed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// This manifest's own format.
    pub format: u32,
    pub suite: Suite,
    /// The suite's, catalogue's and shapes' versions (absent from manifests written before
    /// reports named them).
    #[serde(default)]
    pub versions: Option<crate::versions::Versions>,
    /// Feature files and the catalogue, by path under the features folder → SHA-256.
    pub specification: BTreeMap<String, String>,
    /// The target file as read, secrets replaced by `"(removed)"`; or what was run in-process.
    pub target: serde_json::Value,
    /// The policy the target declared (the documented one unless it said otherwise).
    pub policy: serde_json::Value,
    pub capabilities: Option<Vec<String>>,
    /// Expected failures and expected gaps, each with its reason.
    pub waivers: serde_json::Value,
    pub drivers: Vec<String>,
    /// The browser of a browser run, as it names itself.
    pub browser: Option<String>,
    pub tags: Option<String>,
    /// The `--name` filter, if any.
    pub name: Option<String>,
    pub property_cases: u32,
    pub started_at: String,
    pub ended_at: String,
    pub verdict: String,
    pub exit_code: u8,
    /// Requirement ID → its result (`passed`, `failed`, `unchecked`, …).
    pub requirements: BTreeMap<String, String>,
    /// Every other file of the report → SHA-256.
    pub files: BTreeMap<String, String>,
    /// The signing key's public half (SPKI, base64).
    pub public_key: String,
}

impl Manifest {
    /// The waivers the run was made with.
    pub fn waivers(&self) -> anyhow::Result<super::waivers::Waivers> {
        Ok(serde_json::from_value(self.waivers.clone())?)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Suite {
    pub version: String,
    /// The commit of the suite's checkout, when it runs from one.
    pub commit: Option<String>,
    /// Whether that checkout had changes not committed (then the commit alone does not
    /// reproduce the run).
    pub uncommitted_changes: Option<bool>,
}

impl Suite {
    /// This suite, as found in its checkout at `root` (git is asked; without it, the version).
    pub fn this(root: &Path) -> Self {
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        let commit = git(&["rev-parse", "HEAD"]);
        let uncommitted_changes = commit.as_ref().and(git(&["status", "--porcelain"])).map(|s| !s.is_empty());
        Self { version: env!("CARGO_PKG_VERSION").to_owned(), commit, uncommitted_changes }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every regular file under `dir`, by its path relative to `dir` (with `/`), but `skip`.
fn files_under(dir: &Path, skip: &[&str]) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut found = BTreeMap::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in
            std::fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.is_file() {
                let relative = path
                    .strip_prefix(dir)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if !skip.contains(&relative.as_str()) {
                    found.insert(relative, path);
                }
            }
        }
    }
    Ok(found)
}

/// SHA-256 of every file under `dir` but `skip`.
pub fn hash_files(dir: &Path, skip: &[&str]) -> anyhow::Result<BTreeMap<String, String>> {
    files_under(dir, skip)?
        .into_iter()
        .map(|(name, path)| {
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((name, sha256_hex(&bytes)))
        })
        .collect()
}

/// The feature files (`*.feature`) and the catalogue of a features folder, hashed.
pub fn hash_specification(features: &Path, requirements: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut hashes: BTreeMap<String, String> =
        hash_files(features, &[])?.into_iter().filter(|(name, _)| name.ends_with(".feature")).collect();
    let catalogue =
        std::fs::read(requirements).with_context(|| format!("cannot read {}", requirements.display()))?;
    let name =
        requirements.file_name().map_or("requirements.toml".into(), |n| n.to_string_lossy().into_owned());
    hashes.insert(name, sha256_hex(&catalogue));
    Ok(hashes)
}

/// A target file as JSON with the values of secret-looking keys (tokens, passwords, secrets)
/// replaced, so the manifest can travel.
pub fn target_without_secrets(text: &str) -> anyhow::Result<serde_json::Value> {
    fn scrub(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    let key = key.to_lowercase();
                    if ["token", "password", "secret"].iter().any(|s| key.contains(s)) && !value.is_object() {
                        *value = serde_json::Value::String("(removed)".into());
                    } else {
                        scrub(value);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
            _ => {}
        }
    }
    let table: toml::Value = toml::from_str(text)?;
    let mut json = serde_json::to_value(table)?;
    scrub(&mut json);
    Ok(json)
}

/// The key a run signs with.
pub struct Signer {
    key: SigningKey,
}

impl Signer {
    /// An Ed25519 private key in a PKCS#8 PEM file (`openssl genpkey -algorithm ed25519`).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the signing key {}", path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            anyhow::anyhow!("{} is not an Ed25519 private key in PKCS#8 PEM: {e}", path.display())
        })?;
        Ok(Self { key })
    }

    /// This machine's key, made on first use: `$CONFORMANCE_SIGNING_KEY`, else
    /// `~/.config/conformance/signing-key.pem` (owner-only).
    pub fn for_this_machine() -> anyhow::Result<Self> {
        let path = match std::env::var_os("CONFORMANCE_SIGNING_KEY") {
            Some(path) => PathBuf::from(path),
            None => {
                let home =
                    std::env::var_os("HOME").context("no HOME to keep this machine's signing key in")?;
                PathBuf::from(home).join(".config/conformance/signing-key.pem")
            }
        };
        if !path.exists() {
            Self::make(&path)?;
        }
        Self::from_file(&path)
    }

    /// Writes a new key to `path`, owner-only; an existing one is kept (two runs at once).
    pub fn make(path: &Path) -> anyhow::Result<()> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let pem =
            key.to_pkcs8_pem(Default::default()).map_err(|e| anyhow::anyhow!("cannot encode a key: {e}"))?;
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                file.write_all(pem.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }

    pub fn public_key(&self) -> String {
        public_key_text(&self.key.verifying_key())
    }

    /// The public key as a PEM file's text, to hand to auditors.
    pub fn public_key_pem(&self) -> anyhow::Result<String> {
        self.key
            .verifying_key()
            .to_public_key_pem(Default::default())
            .map_err(|e| anyhow::anyhow!("cannot encode the public key: {e}"))
    }
}

fn public_key_text(key: &VerifyingKey) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
}

/// Hashes the report's files into `manifest`, then writes it and its signature into `dir`.
pub fn sign(dir: &Path, mut manifest: Manifest, signer: &Signer) -> anyhow::Result<()> {
    manifest.files = hash_files(dir, &[MANIFEST, SIGNATURE])?;
    manifest.public_key = signer.public_key();
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    let signature = signer.key.sign(&bytes);
    std::fs::write(dir.join(MANIFEST), &bytes)?;
    std::fs::write(
        dir.join(SIGNATURE),
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()),
    )?;
    Ok(())
}

/// What checking a report directory found.
#[derive(Debug, Default)]
pub struct Verification {
    /// The signature over the manifest holds, under the key the manifest names.
    pub signature_valid: bool,
    /// The manifest's key, in base64.
    pub signer: String,
    /// `Some(true)`: signed by the key the auditor trusts; `Some(false)`: by another key;
    /// `None`: no key was given, so the signer is unknown.
    pub trusted_signer: Option<bool>,
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    pub added: Vec<String>,
    pub manifest: Option<Manifest>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.signature_valid
            && self.trusted_signer != Some(false)
            && self.changed.is_empty()
            && self.missing.is_empty()
            && self.added.is_empty()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(if self.signature_valid {
            "signature: valid over manifest.json\n"
        } else {
            "signature: NOT VALID — manifest.json was changed after signing, or the signature is not its own\n"
        });
        out.push_str(&match self.trusted_signer {
            Some(true) => format!("signer: the key you trust ({})\n", self.signer),
            Some(false) => format!("signer: NOT the key you trust — signed by {}\n", self.signer),
            None => format!("signer: unknown (key {}); pass --public-key to check who signed\n", self.signer),
        });
        for (what, files) in [("changed", &self.changed), ("missing", &self.missing), ("added", &self.added)]
        {
            for file in files {
                out.push_str(&format!("{what}: {file}\n"));
            }
        }
        if let Some(m) = &self.manifest {
            out.push_str(&format!(
                "run: suite {} ({}{}), {} against {}, {} → {}\n",
                m.suite.version,
                m.suite.commit.as_deref().unwrap_or("commit not recorded"),
                if m.suite.uncommitted_changes == Some(true) { ", with uncommitted changes" } else { "" },
                m.drivers.join(", "),
                target_named(&m.target),
                m.started_at,
                m.verdict
            ));
            if let Some(v) = &m.versions {
                out.push_str(&format!(
                    "versions: catalogue {}, summary schema {}, target-file schema {}\n",
                    v.catalogue, v.summary_schema, v.target_schema
                ));
            }
        }
        out.push_str(if self.ok() { "verified: nothing changed since signing\n" } else { "NOT VERIFIED\n" });
        out
    }
}

/// A public key from a PEM file (`PUBLIC KEY`) or as the base64 the manifest shows.
pub fn read_public_key(path: &Path) -> anyhow::Result<VerifyingKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Ok(key) = VerifyingKey::from_public_key_pem(&text) {
        return Ok(key);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .with_context(|| format!("{} is neither a PEM public key nor base64", path.display()))?;
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| anyhow::anyhow!("an Ed25519 public key has 32 bytes"))?;
    Ok(VerifyingKey::from_bytes(&bytes)?)
}

/// What a manifest's target record says the run was against.
fn target_named(target: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    if let Some(url) = target.get("base_url").and_then(text) {
        return url;
    }
    if let Some(urls) = target.get("base_urls").and_then(|u| u.as_array()) {
        return urls.iter().filter_map(text).collect::<Vec<_>>().join(" and ");
    }
    match target.get("container").and_then(|c| c.get("image")).and_then(text) {
        Some(image) => format!("the image {image}"),
        None => "the in-process reference server".to_owned(),
    }
}

/// Each requirement ID's verdict, as a manifest records it.
pub fn requirement_verdicts(summary: &super::Summary) -> BTreeMap<String, String> {
    summary
        .requirements
        .iter()
        .map(|r| {
            let verdict = serde_json::to_value(r.verdict).ok().and_then(|v| v.as_str().map(str::to_owned));
            (r.requirement.id.clone(), verdict.unwrap_or_default())
        })
        .collect()
}

/// Checks the signature over `dir`'s manifest and every file's hash.
pub fn verify(dir: &Path, trusted: Option<&VerifyingKey>) -> anyhow::Result<Verification> {
    let bytes =
        std::fs::read(dir.join(MANIFEST)).with_context(|| format!("no {MANIFEST} in {}", dir.display()))?;
    let signature_text = std::fs::read_to_string(dir.join(SIGNATURE))
        .with_context(|| format!("no {SIGNATURE} in {}", dir.display()))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).context("manifest.json is not a manifest")?;
    let key_bytes: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(&manifest.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("the manifest's public key is not an Ed25519 key")?;
    let key = VerifyingKey::from_bytes(&key_bytes)?;
    let signature_valid = base64::engine::general_purpose::STANDARD
        .decode(signature_text.trim())
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .is_some_and(|signature| key.verify_strict(&bytes, &signature).is_ok());
    let now = hash_files(dir, &[MANIFEST, SIGNATURE])?;
    let mut verification = Verification {
        signature_valid,
        signer: public_key_text(&key),
        trusted_signer: trusted.map(|t| t == &key),
        ..Verification::default()
    };
    for (name, hash) in &manifest.files {
        match now.get(name) {
            None => verification.missing.push(name.clone()),
            Some(seen) if seen != hash => verification.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    verification.added = now.keys().filter(|n| !manifest.files.contains_key(*n)).cloned().collect();
    verification.manifest = Some(manifest);
    Ok(verification)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: 1,
            versions: Some(crate::versions::Versions::with_catalogue(1)),
            suite: Suite::this(Path::new(env!("CARGO_MANIFEST_DIR"))),
            specification: BTreeMap::from([("sign_up.feature".into(), sha256_hex(b"Feature: x"))]),
            target: serde_json::json!({ "base_url": "http://127.0.0.1:8080" }),
            policy: serde_json::json!({}),
            capabilities: None,
            waivers: serde_json::json!({}),
            drivers: vec!["api".into()],
            browser: None,
            tags: None,
            name: None,
            property_cases: 0,
            started_at: "2026-12-02T10:00:00Z".into(),
            ended_at: "2026-12-02T10:01:00Z".into(),
            verdict: "CONFORMANT".into(),
            exit_code: 0,
            requirements: BTreeMap::from([("SU-1".into(), "passed".into())]),
            files: BTreeMap::new(),
            public_key: String::new(),
        }
    }

    fn signed_report() -> (tempfile::TempDir, Signer) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.html"), "<h1>CONFORMANT</h1>").unwrap();
        std::fs::write(dir.path().join("summary.json"), r#"{"verdict":"conformant"}"#).unwrap();
        std::fs::create_dir(dir.path().join("failures")).unwrap();
        std::fs::write(dir.path().join("failures/shot.png"), [1, 2, 3]).unwrap();
        let keys = tempfile::tempdir().unwrap();
        let key_file = keys.path().join("signing-key.pem");
        Signer::make(&key_file).unwrap();
        let signer = Signer::from_file(&key_file).unwrap();
        sign(dir.path(), manifest(), &signer).unwrap();
        (dir, signer)
    }

    #[test]
    fn a_signed_report_verifies_and_names_its_signer_only_against_a_trusted_key() {
        let (dir, signer) = signed_report();
        let unknown = verify(dir.path(), None).unwrap();
        assert!(unknown.ok(), "{}", unknown.render());
        assert!(unknown.render().contains("signer: unknown"));
        let trusted = read_key_text(&signer.public_key_pem().unwrap());
        let known = verify(dir.path(), Some(&trusted)).unwrap();
        assert!(known.ok() && known.trusted_signer == Some(true), "{}", known.render());
        let other = SigningKey::generate(&mut rand::rngs::OsRng).verifying_key();
        let wrong = verify(dir.path(), Some(&other)).unwrap();
        assert!(!wrong.ok() && wrong.render().contains("NOT the key you trust"), "{}", wrong.render());
    }

    fn read_key_text(pem: &str) -> VerifyingKey {
        VerifyingKey::from_public_key_pem(pem).unwrap()
    }

    #[test]
    fn one_changed_character_anywhere_is_named() {
        for file in ["report.html", "summary.json", "failures/shot.png"] {
            let (dir, _) = signed_report();
            let path = dir.path().join(file);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[1] ^= 1;
            std::fs::write(&path, bytes).unwrap();
            let found = verify(dir.path(), None).unwrap();
            assert!(!found.ok() && found.changed == [file], "{file}: {}", found.render());
            assert!(found.signature_valid, "the manifest itself is intact");
        }
        let (dir, _) = signed_report();
        std::fs::remove_file(dir.path().join("summary.json")).unwrap();
        std::fs::write(dir.path().join("extra.txt"), "x").unwrap();
        let found = verify(dir.path(), None).unwrap();
        assert_eq!(
            (found.missing.as_slice(), found.added.as_slice()),
            (&["summary.json".to_owned()][..], &["extra.txt".to_owned()][..])
        );
    }

    #[test]
    fn an_edited_manifest_breaks_the_signature() {
        let (dir, _) = signed_report();
        let path = dir.path().join(MANIFEST);
        let text = std::fs::read_to_string(&path).unwrap().replace("CONFORMANT", "CONFORMANT ");
        std::fs::write(&path, text).unwrap();
        let found = verify(dir.path(), None).unwrap();
        assert!(!found.signature_valid && !found.ok(), "{}", found.render());
    }

    #[test]
    fn secrets_are_removed_from_the_target() {
        let json = target_without_secrets(
            "base_url = \"http://x\"\n[clock]\ntoken = \"hook-secret\"\n[oidc.agencies.benefits]\nclient_secret = \"s\"\nprivate_key_file = \"k.pem\"\n",
        )
        .unwrap();
        let text = json.to_string();
        assert!(!text.contains("hook-secret") && !text.contains("\"s\""), "{text}");
        assert!(text.contains("k.pem") && text.contains("http://x"), "{text}");
    }
}
