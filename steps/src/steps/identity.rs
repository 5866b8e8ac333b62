//! Identity verification (IV-1, IV-3) and the verified identity's lock (PV-2, PR-4): the
//! person uploads the suite's test documents (`steps/documents/`) through the driver; what the
//! service answers is all a check sees.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context as _;
use base64::Engine as _;
use cucumber::{given, then, when};

use super::common::{expect_accepted, expect_rejected};
use crate::driver::Outcome;
use crate::world::LoginWorld;

/// The person on the suite's passing test document (`documents/id-front.json`).
pub const GIVEN_NAME: &str = "Jane";
pub const FAMILY_NAME: &str = "Doe";
pub const BIRTHDATE: &str = "1985-07-04";
pub const STREET: &str = "1 Main St";
/// An SSN identity resolution finds no one for (the fakes' magic value).
const SSN_NOBODY: &str = "999-99-9999";
/// On the document but never part of a verified identity: it must not come back.
const DOCUMENT_NUMBER: &str = "D55501234";

const DOCUMENTS: &[(&str, &[u8])] = &[
    ("id-front.json", include_bytes!("../../documents/id-front.json")),
    ("id-unreadable.json", include_bytes!("../../documents/id-unreadable.json")),
    ("id-expired.json", include_bytes!("../../documents/id-expired.json")),
    ("id-not-authentic.json", include_bytes!("../../documents/id-not-authentic.json")),
    ("selfie-someone-else.json", include_bytes!("../../documents/selfie-someone-else.json")),
    ("id-back.png", include_bytes!("../../documents/id-back.png")),
    ("selfie.png", include_bytes!("../../documents/selfie.png")),
];

/// Where the test documents are written for uploading (a browser's file input needs a file).
pub fn documents() -> anyhow::Result<&'static Path> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    if let Some(dir) = DIR.get() {
        return Ok(dir);
    }
    let dir = std::env::temp_dir().join(format!("conformance-documents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, bytes) in DOCUMENTS {
        std::fs::write(dir.join(name), bytes)
            .with_context(|| format!("cannot write the test document {name}"))?;
    }
    Ok(DIR.get_or_init(|| dir))
}

fn document(name: &str) -> anyhow::Result<PathBuf> {
    Ok(documents()?.join(name))
}

async fn upload(world: &mut LoginWorld, front: &str, selfie: &str) -> anyhow::Result<()> {
    let (front, back, selfie) = (document(front)?, document("id-back.png")?, document(selfie)?);
    world.last = Some(world.driver.upload_documents(&front, &back, &selfie).await?);
    Ok(())
}

#[when("I agree to have my identity checked")]
async fn agree(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.start_verification(true).await?);
    expect_accepted(world.last()?)
}

#[when("I do not agree to have my identity checked")]
async fn decline(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.start_verification(false).await?);
    Ok(())
}

#[when("I upload the front and back of my ID and a photo of me")]
async fn upload_good(world: &mut LoginWorld) -> anyhow::Result<()> {
    upload(world, "id-front.json", "selfie.png").await
}

#[when(
    regex = r"^I upload (an unreadable ID|an expired ID|an ID that fails a security check|my ID) with a photo of (me|someone else)$"
)]
async fn upload_kind(world: &mut LoginWorld, id: String, who: String) -> anyhow::Result<()> {
    let front = match id.as_str() {
        "an unreadable ID" => "id-unreadable.json",
        "an expired ID" => "id-expired.json",
        "an ID that fails a security check" => "id-not-authentic.json",
        _ => "id-front.json",
    };
    let selfie = if who == "me" { "selfie.png" } else { "selfie-someone-else.json" };
    upload(world, front, selfie).await
}

#[when("I enter my Social Security number")]
async fn enter_ssn(world: &mut LoginWorld) -> anyhow::Result<()> {
    let ssn = world.me.ssn.clone();
    world.last = Some(world.driver.enter_ssn(&ssn).await?);
    Ok(())
}

#[when("I enter a Social Security number that matches no one")]
async fn enter_unknown_ssn(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.enter_ssn(SSN_NOBODY).await?);
    Ok(())
}

/// Keeps a personal key an accepted answer showed.
fn keep_key(world: &mut LoginWorld) -> anyhow::Result<Option<String>> {
    if !matches!(world.last()?, Outcome::Accepted { .. }) {
        return Ok(None);
    }
    let key = world.last()?.detail("personal_key").context("accepted, but no personal key was shown")?;
    world.personal_keys.push(key.clone());
    Ok(Some(key))
}

#[when("I confirm with my password")]
pub(super) async fn confirm_with_password(world: &mut LoginWorld) -> anyhow::Result<()> {
    let password = world.me.password.clone();
    world.last = Some(world.driver.finish_verification(&password).await?);
    if let Some(key) = keep_key(world)? {
        world.verified_with_key = Some(key);
    }
    Ok(())
}

#[given("I have verified my identity")]
#[when("I verify my identity")]
async fn verify(world: &mut LoginWorld) -> anyhow::Result<()> {
    agree(world).await?;
    upload_good(world).await?;
    expect_accepted(world.last()?).context("uploading the passing test documents")?;
    enter_ssn(world).await?;
    expect_accepted(world.last()?).context("entering the SSN")?;
    confirm_with_password(world).await?;
    expect_accepted(world.last()?).context("confirming with the password")
}

#[then(
    regex = r#"^(?:the upload|my Social Security number|the personal key|starting|finishing) is refused as "(\w+)"$"#
)]
async fn refused_as(world: &mut LoginWorld, reason: String) -> anyhow::Result<()> {
    expect_rejected(world.last()?, &reason)
}

#[then("the upload is accepted")]
async fn upload_accepted(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)
}

#[then(
    regex = r"^my identity is (verified|not verified|waiting for my personal key|still waiting for my visit to the Post Office|not verified, as the Post Office could not verify me|not verified, as my deadline to visit the Post Office passed)$"
)]
async fn status_is(world: &mut LoginWorld, expected: String) -> anyhow::Result<()> {
    let expected = match expected.as_str() {
        "verified" => "verified",
        "not verified" => "unverified",
        "waiting for my personal key" => "needs_personal_key",
        "still waiting for my visit to the Post Office" => "in_person_pending",
        "not verified, as the Post Office could not verify me" => "in_person_failed",
        _ => "in_person_expired",
    };
    let answer = world.driver.verification_status().await?;
    let status = answer.detail("status").with_context(|| format!("no verification status in {answer:?}"))?;
    anyhow::ensure!(status == expected, "the service says the identity is {status:?}, expected {expected:?}");
    Ok(())
}

#[when(regex = r"^I upload an unreadable ID as often as the limit allows$")]
async fn use_up_attempts(world: &mut LoginWorld) -> anyhow::Result<()> {
    let limit = world.ctx.target.policy.verification_attempt_limit;
    for attempt in 1..=limit {
        upload(world, "id-unreadable.json", "selfie.png").await?;
        expect_rejected(world.last()?, "document_unreadable")
            .with_context(|| format!("attempt {attempt} of the {limit} allowed"))?;
    }
    Ok(())
}

#[then("my next upload is refused as too many attempts, even with a good ID")]
async fn next_refused(world: &mut LoginWorld) -> anyhow::Result<()> {
    upload_good(world).await?;
    match world.last()? {
        Outcome::RateLimited { .. } => Ok(()),
        other => anyhow::bail!(
            "after {} attempts the next was not refused as too many: {other:?}",
            world.ctx.target.policy.verification_attempt_limit
        ),
    }
}

#[when("the limit's window has passed since my first attempt")]
async fn window_passes(world: &mut LoginWorld) -> anyhow::Result<()> {
    let window = u64::try_from(world.ctx.target.policy.verification_attempt_window_secs).unwrap_or(0);
    world.advance_clock(window + 1).await
}

#[when("I reactivate my identity with the personal key I was given when I verified")]
async fn reactivate(world: &mut LoginWorld) -> anyhow::Result<()> {
    let key = world.verified_with_key.clone().context("no personal key was given at verification")?;
    let password = world.me.password.clone();
    world.last = Some(world.driver.reactivate_identity(&key, &password).await?);
    if let Some(key) = keep_key(world)? {
        world.verified_with_key = Some(key);
    }
    Ok(())
}

#[when("I try to reactivate my identity with a wrong personal key")]
async fn reactivate_wrong(world: &mut LoginWorld) -> anyhow::Result<()> {
    let password = world.me.password.clone();
    world.last = Some(world.driver.reactivate_identity("0000-0000-0000-0000", &password).await?);
    Ok(())
}

#[then("no answer I received carries my ID's photos, its number or how the checks went")]
async fn nothing_kept_shown(world: &mut LoginWorld) -> anyhow::Result<()> {
    // Read the account page too: where a service would show what it kept.
    let account = world.driver.account().await?;
    expect_accepted(&account)?;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let photo_markers = ["conformance-selfie-photo", "conformance-id-back-photo"];
    let vendor_words = [
        "DocAuthResult",
        "FaceMatchResult",
        "PORTRAIT_MATCH",
        "ParameterDetails",
        "TransactionStatus",
        "portrait_match",
        "doc_auth_result",
        "failed_alerts",
    ];
    let mut looked_for: Vec<String> = photo_markers.iter().map(|m| (*m).to_owned()).collect();
    for (_, bytes) in DOCUMENTS.iter().filter(|(n, _)| n.ends_with(".png")) {
        // A photo sent back as data: (an <img>) or in JSON would be in base64.
        looked_for.push(b64(bytes).chars().take(40).collect());
    }
    looked_for.push(DOCUMENT_NUMBER.to_owned());
    looked_for.extend(vendor_words.iter().map(|w| (*w).to_owned()));
    let transcript = world.driver.transcript();
    anyhow::ensure!(!transcript.is_empty(), "no answers were recorded to look through");
    for exchange in transcript {
        for needle in &looked_for {
            anyhow::ensure!(
                !exchange.response.contains(needle.as_str()),
                "the answer to {} carries {needle:?}: documents only confirm identity and are not kept or shown",
                exchange.request
            );
        }
    }
    Ok(())
}

#[when("I have lost my phone and my personal key, and open a new account under another email address")]
async fn new_account_elsewhere(world: &mut LoginWorld) -> anyhow::Result<()> {
    // A new account, but the same person: the identity to verify again is theirs.
    let old = world.become_someone_else().await?;
    world.me.ssn.clone_from(&old.ssn);
    world.other = Some(old);
    super::settings::signed_in(world).await
}

#[then("my old account keeps its email address and still signs in with its password")]
async fn old_account_kept(world: &mut LoginWorld) -> anyhow::Result<()> {
    let old = world.other.clone().context("no old account in this scenario")?;
    // Another device: this one is signed in to the new account.
    let mut device = world.ctx.new_driver()?;
    let answer = device.sign_in(&old.email, &old.password).await;
    device.close().await;
    let answer = answer?;
    anyhow::ensure!(
        answer.detail("next").as_deref() == Some("second_factor"),
        "signing in to the old account ({}) with its password did not ask for a second factor: {answer:?}",
        old.email
    );
    Ok(())
}
