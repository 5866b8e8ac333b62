//! Agency sign-in (AG-1..AG-3, PV-3): the person acts through the driver; the agency through
//! its own relying-party client ([`crate::agency`]), as a real agency's server would.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use cucumber::{given, then, when};
use openidconnect::OAuth2TokenResponse as _;
use openidconnect::core::{CoreIdTokenClaims, CoreTokenResponse};
use serde_json::Value;

use super::common::expect_accepted;
use super::params::BadExchange;
use crate::agency::{ACR_AUTH_ONLY, ACR_VERIFIED, Agency, Exchange, Request, RequestOptions, TokenRefusal};
use crate::clock_hook::target_now;
use crate::driver::Outcome;
use crate::world::{CodeStep, LoginWorld};

/// What the agencies of one scenario know.
#[derive(Default)]
pub struct AgencyScene {
    agencies: HashMap<String, Agency>,
    /// The newest authorization request, by the agency that sent it.
    request: Option<(String, Request)>,
    /// Where the person was last sent back to.
    redirect: Option<url::Url>,
    /// The newest token exchange: the tokens, or the refusal.
    exchange: Option<Result<CoreTokenResponse, TokenRefusal>>,
    /// Access tokens each agency holds, newest last.
    access_tokens: HashMap<String, Vec<String>>,
    /// Subject identifiers each agency was given, in order.
    subjects: HashMap<String, Vec<String>>,
    /// The newest verified ID token, by agency.
    claims: Option<(String, CoreIdTokenClaims)>,
    /// The state an agency sent with its logout link.
    logout_state: Option<String>,
}

impl std::fmt::Debug for AgencyScene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgencyScene").field("redirect", &self.redirect).finish_non_exhaustive()
    }
}

/// The agency a scenario calls `name`, discovering the target's provider on first use.
async fn agency<'w>(world: &'w mut LoginWorld, name: &str) -> anyhow::Result<&'w mut Agency> {
    if !world.agency.agencies.contains_key(name) {
        let oidc = world.ctx.target.oidc.as_ref().context("the target file has no [oidc] section")?;
        let settings = oidc
            .agencies
            .get(name)
            .with_context(|| format!("the target file has no [oidc.agencies.{name}]"))?;
        let discovered = Agency::discover(name, &oidc.issuer, settings.clone()).await?;
        world.agency.agencies.insert(name.to_owned(), discovered);
    }
    Ok(world.agency.agencies.get_mut(name).expect("inserted above"))
}

/// "my email address and phone number" → the scopes asking for them.
fn scopes(what: &str) -> anyhow::Result<Vec<String>> {
    let mut scopes = vec!["openid".to_owned()];
    for part in what.trim_start_matches("my ").split(" and ") {
        scopes.push(
            match part.trim() {
                "email address" => "email",
                "phone number" => "phone",
                "verified name" => "profile:name",
                "verified birth date" => "profile:birthdate",
                "verified address" => "address",
                "verified Social Security number" => "social_security_number",
                other => anyhow::bail!("no scope is known for {other:?}"),
            }
            .to_owned(),
        );
    }
    Ok(scopes)
}

async fn send_to_sign_in(world: &mut LoginWorld, name: &str, options: RequestOptions) -> anyhow::Result<()> {
    let request = agency(world, name).await?.request(&options)?;
    world.last = Some(world.driver.open_agency_link(&request.url).await?);
    world.agency.request = Some((name.to_owned(), request));
    remember_redirect(world)
}

/// Keeps where the person was sent, when the last answer sends them somewhere.
fn remember_redirect(world: &mut LoginWorld) -> anyhow::Result<()> {
    let last = world.last()?;
    if last.detail("next").as_deref() == Some("redirect") {
        let to = last.detail("redirect_to").context("sent back, but with no redirect_to")?;
        world.agency.redirect = Some(url::Url::parse(&to).with_context(|| format!("{to:?} is not a URL"))?);
    }
    Ok(())
}

#[when(
    regex = r"^the (\w+) agency sends me to sign in for (my [a-z ]+?)(, asking me to sign in again| without PKCE)?$"
)]
async fn sends_me(world: &mut LoginWorld, name: String, what: String, how: String) -> anyhow::Result<()> {
    let options = RequestOptions {
        scopes: scopes(&what)?,
        prompt_login: how.contains("again"),
        without_pkce: how.contains("PKCE"),
        ..RequestOptions::default()
    };
    send_to_sign_in(world, &name, options).await
}

#[when(regex = r"^the (\w+) agency sends me to sign in asking for verified identity$")]
async fn asks_verified(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let options = RequestOptions {
        scopes: scopes("my email address")?,
        acr: Some(ACR_VERIFIED.into()),
        ..Default::default()
    };
    send_to_sign_in(world, &name, options).await
}

#[when(regex = r"^the (\w+) agency sends me to sign in asking for verified identity and (my [A-Za-z ]+)$")]
async fn asks_verified_for(world: &mut LoginWorld, name: String, what: String) -> anyhow::Result<()> {
    let options =
        RequestOptions { scopes: scopes(&what)?, acr: Some(ACR_VERIFIED.into()), ..Default::default() };
    send_to_sign_in(world, &name, options).await
}

#[then(regex = r"^I am asked to (verify|reactivate) my identity first$")]
async fn asked_to_verify(world: &mut LoginWorld, what: String) -> anyhow::Result<()> {
    let expected = if what == "verify" { "verify_identity" } else { "reactivate_identity" };
    let last = world.last()?;
    anyhow::ensure!(
        last.detail("next").as_deref() == Some(expected),
        "expected to be asked to {what} my identity ({expected}), got {last:?}"
    );
    Ok(())
}

#[when(regex = r"^the (\w+) agency sends me to sign in with an unregistered return address$")]
async fn unregistered_return(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let options = RequestOptions {
        scopes: scopes("my email address")?,
        redirect_uri: Some("https://attacker.example/collect".into()),
        ..Default::default()
    };
    send_to_sign_in(world, &name, options).await
}

#[when("an unregistered agency sends me to sign in")]
async fn unknown_agency(world: &mut LoginWorld) -> anyhow::Result<()> {
    let options = RequestOptions {
        scopes: scopes("my email address")?,
        client_id: Some("urn:gov:example:nobody-registered-this".into()),
        ..Default::default()
    };
    send_to_sign_in(world, "parks", options).await
}

#[when("I sign in with my password and a texted security code")]
async fn sign_in_fully(world: &mut LoginWorld) -> anyhow::Result<()> {
    super::sign_in::sign_in(world).await?;
    expect_accepted(world.last()?)?;
    world.entering = CodeStep::SignIn;
    world.last = Some(world.driver.send_sign_in_code(crate::driver::Delivery::Sms).await?);
    expect_accepted(world.last()?)?;
    world.receive_code("sms").await?;
    super::codes::enter_code(world).await?;
    expect_accepted(world.last()?)
}

#[when("I create an account with my email address, a password and my phone")]
async fn create_account(world: &mut LoginWorld) -> anyhow::Result<()> {
    super::codes::password_chosen(world).await?;
    super::codes::add_phone(world, super::params::By::TEXT).await?;
    expect_accepted(world.last()?)?;
    world.receive_code("sms").await?;
    super::codes::enter_code(world).await?;
    expect_accepted(world.last()?)?;
    if world.ctx.target.offers("personal_key") {
        super::codes::read_personal_key(world)?;
    }
    Ok(())
}

#[when("I continue to the agency")]
async fn continue_to_agency(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.continue_to_agency().await?);
    remember_redirect(world)
}

#[when(regex = r"^I (agree|decline) to share$")]
async fn answer_consent(world: &mut LoginWorld, answer: String) -> anyhow::Result<()> {
    world.last = Some(world.driver.answer_consent(answer == "agree").await?);
    remember_redirect(world)
}

fn next_step(outcome: &Outcome) -> anyhow::Result<String> {
    expect_accepted(outcome)?;
    outcome.detail("next").with_context(|| format!("the answer says no next step: {outcome:?}"))
}

#[then("I am asked to sign in first")]
async fn asked_to_sign_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    let next = next_step(world.last()?)?;
    anyhow::ensure!(next == "sign_in", "expected to be asked to sign in, but next is {next:?}");
    Ok(())
}

#[then(regex = r"^I am asked to share (my [A-Za-z ]+) with the (\w+) agency$")]
async fn asked_to_share(world: &mut LoginWorld, what: String, _name: String) -> anyhow::Result<()> {
    let last = world.last()?;
    let next = next_step(last)?;
    anyhow::ensure!(next == "consent", "expected the consent question, but next is {next:?}");
    let Outcome::Accepted { details } = last else { unreachable!("checked above") };
    let shown: BTreeSet<&str> = details
        .get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let wanted = scopes(&what)?;
    let expected: BTreeSet<&str> = wanted.iter().skip(1).map(String::as_str).collect();
    let unworded = details.get("attributes_without_visible_words").filter(|v| !v.is_null());
    anyhow::ensure!(
        shown == expected,
        "the consent question lists {shown:?}, expected exactly {expected:?}{}",
        unworded.map_or(String::new(), |v| format!(" (marked but with no words a person can see: {v})"))
    );
    anyhow::ensure!(
        details.get("agency").and_then(Value::as_str).is_some_and(|a| !a.trim().is_empty()),
        "the consent question does not name the agency"
    );
    Ok(())
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Checks that the person was sent to `expected` (scheme, host, port and path), and returns
/// the address they were sent to.
fn sent_to<'w>(world: &'w LoginWorld, expected: &str) -> anyhow::Result<&'w url::Url> {
    let next = next_step(world.last()?)?;
    anyhow::ensure!(next == "redirect", "expected to be sent back to the agency, but next is {next:?}");
    let to = world.agency.redirect.as_ref().context("no redirect seen")?;
    let expected = url::Url::parse(expected)?;
    anyhow::ensure!(
        to.origin() == expected.origin() && to.path() == expected.path(),
        "sent to {to}, but the agency registered {expected}"
    );
    Ok(to)
}

fn current_request<'w>(world: &'w LoginWorld, name: &str) -> anyhow::Result<&'w Request> {
    match &world.agency.request {
        Some((by, request)) if by == name => Ok(request),
        _ => anyhow::bail!("the {name} agency has sent no request in this scenario"),
    }
}

#[then(regex = r"^I am sent back to the (\w+) agency with a code and the state it sent$")]
async fn back_with_code(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let redirect_uri = agency(world, &name).await?.settings.redirect_uri.clone();
    let to = sent_to(world, &redirect_uri)?;
    let state = current_request(world, &name)?.state.clone();
    anyhow::ensure!(query(to, "error").is_none(), "sent back with an error: {to}");
    anyhow::ensure!(query(to, "code").is_some_and(|c| !c.is_empty()), "sent back without a code");
    anyhow::ensure!(query(to, "state") == Some(state), "the state sent back is not the one the agency sent");
    Ok(())
}

#[then(regex = r#"^I am sent back to the (\w+) agency with the error "(\w+)" and the state it sent$"#)]
async fn back_with_error(world: &mut LoginWorld, name: String, error: String) -> anyhow::Result<()> {
    let redirect_uri = agency(world, &name).await?.settings.redirect_uri.clone();
    let to = sent_to(world, &redirect_uri)?;
    let state = current_request(world, &name)?.state.clone();
    anyhow::ensure!(query(to, "error") == Some(error.clone()), "expected error={error}, sent to {to}");
    anyhow::ensure!(query(to, "code").is_none(), "an error redirect must carry no code: {to}");
    anyhow::ensure!(query(to, "state") == Some(state), "the state sent back is not the one the agency sent");
    Ok(())
}

#[then("I am shown an error and not sent anywhere")]
async fn not_sent_anywhere(world: &mut LoginWorld) -> anyhow::Result<()> {
    match world.last()? {
        Outcome::Invalid { status: 400..=499, reason } if !reason.is_empty() => Ok(()),
        other => anyhow::bail!("expected a refusal with a reason and no redirect, got {other:?}"),
    }
}

async fn exchange(world: &mut LoginWorld, name: &str, how: Exchange) -> anyhow::Result<()> {
    let code = world
        .agency
        .redirect
        .as_ref()
        .and_then(|to| query(to, "code"))
        .context("the agency has received no code to exchange")?;
    let now = target_now(world.ctx.clock.as_ref()).await?;
    let (by, request) = world.agency.request.take().context("no authorization request was sent")?;
    anyhow::ensure!(by == name, "the code was sent to the {by} agency, not the {name} agency");
    let result = agency(world, name).await?.exchange(&code, &request, how, now).await;
    world.agency.request = Some((by, request));
    let result = result?;
    if let Ok(tokens) = &result {
        world
            .agency
            .access_tokens
            .entry(name.to_owned())
            .or_default()
            .push(tokens.access_token().secret().clone());
    }
    // The agency's own requests are not the driver's: the report shows what the endpoint said.
    world.note(match &result {
        Ok(_) => format!("the {name} agency exchanged its code ({how:?}): tokens issued"),
        Err(refusal) => format!(
            "the {name} agency exchanged its code ({how:?}): refused as {} ({})",
            refusal.error, refusal.description
        ),
    });
    world.agency.exchange = Some(result);
    Ok(())
}

#[given(regex = r"^the (\w+) agency has exchanged the code$")]
#[when(regex = r"^the (\w+) agency exchanges the code(?: again| with its right verifier)?$")]
async fn exchanges(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    exchange(world, &name, Exchange::AS_REGISTERED).await
}

#[when(expr = "the {word} agency exchanges the code {bad_exchange}")]
async fn exchanges_badly(world: &mut LoginWorld, name: String, how: BadExchange) -> anyhow::Result<()> {
    exchange(world, &name, how.0).await
}

#[then(regex = r#"^the exchange is refused as "(\w+)"$"#)]
async fn exchange_refused(world: &mut LoginWorld, error: String) -> anyhow::Result<()> {
    match &world.agency.exchange {
        Some(Err(refusal)) if refusal.error == error => Ok(()),
        Some(Err(refusal)) => {
            anyhow::bail!("refused as {:?} ({}), expected {error:?}", refusal.error, refusal.description)
        }
        Some(Ok(_)) => anyhow::bail!("the exchange succeeded; expected a refusal as {error:?}"),
        None => anyhow::bail!("no exchange was made"),
    }
}

/// After failed exchanges a service may keep the code or have spent it; tokens once at most.
#[then("the code gives tokens once at most")]
async fn tokens_once_at_most(world: &mut LoginWorld) -> anyhow::Result<()> {
    let name = world.agency.request.as_ref().map(|(n, _)| n.clone()).context("no agency in this scenario")?;
    match &world.agency.exchange {
        Some(Ok(_)) => {
            exchange(world, &name, Exchange::AS_REGISTERED).await?;
            exchange_refused(world, "invalid_grant".into())
                .await
                .context("the code gave tokens, and then gave them again")?;
            world.note(
                "the service kept the code through the failed exchanges, gave tokens once, then refused it"
                    .into(),
            );
            Ok(())
        }
        Some(Err(refusal)) if refusal.error == "invalid_grant" => {
            world.note(
                "the service spent the code on a failed exchange: the right verifier got no tokens either"
                    .into(),
            );
            Ok(())
        }
        other => anyhow::bail!("expected tokens or an invalid_grant refusal, got {other:?}"),
    }
}

#[then("the exchange succeeds")]
async fn exchange_succeeds(world: &mut LoginWorld) -> anyhow::Result<()> {
    match &world.agency.exchange {
        Some(Ok(_)) => Ok(()),
        other => anyhow::bail!("expected tokens, got {other:?}"),
    }
}

#[then(
    "it receives an ID token for me signed by the service, with its nonce, the assurance level and the time I signed in"
)]
async fn id_token(world: &mut LoginWorld) -> anyhow::Result<()> {
    id_token_at(world, ACR_AUTH_ONLY).await
}

#[then("it receives an ID token for me signed by the service, saying my identity was verified")]
async fn verified_id_token(world: &mut LoginWorld) -> anyhow::Result<()> {
    id_token_at(world, ACR_VERIFIED).await
}

async fn id_token_at(world: &mut LoginWorld, expected_acr: &str) -> anyhow::Result<()> {
    let (name, request) = world.agency.request.as_ref().context("no authorization request was sent")?;
    let (name, nonce) = (name.clone(), request.nonce.clone());
    let now = target_now(world.ctx.clock.as_ref()).await?;
    let tokens = match &world.agency.exchange {
        Some(Ok(tokens)) => tokens.clone(),
        other => anyhow::bail!("the exchange gave no tokens: {other:?}"),
    };
    let agency = agency(world, &name).await?;
    // Signature, issuer, audience, expiry (by the target's clock), nonce and at_hash.
    let claims = agency.verify_id_token(&tokens, &nonce, now)?;
    anyhow::ensure!(
        claims.audiences().iter().any(|a| a.as_str() == agency.settings.client_id),
        "the ID token is not addressed to the {name} agency"
    );
    let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned());
    anyhow::ensure!(acr.as_deref() == Some(expected_acr), "acr is {acr:?}, expected {expected_acr}");
    let auth_time = claims.auth_time().context("the ID token has no auth_time")?;
    let issued = claims.issue_time();
    anyhow::ensure!(auth_time <= issued, "auth_time {auth_time} is after the token was issued ({issued})");
    // AG-1: the time I entered my second factor (stated in whole seconds).
    let (before, after) = world.signed_in_at.context("the scenario never saw me sign in")?;
    let at = auth_time.timestamp();
    anyhow::ensure!(
        before.unix_timestamp() - 1 <= at && at <= after.unix_timestamp() + 1,
        "auth_time {auth_time} is not when I signed in (between {before} and {after})"
    );
    anyhow::ensure!(
        (issued.timestamp() - now.unix_timestamp()).abs() <= 60,
        "iat {issued} is not the target's time ({now})"
    );
    world.agency.subjects.entry(name.clone()).or_default().push(claims.subject().as_str().to_owned());
    world.agency.claims = Some((name, claims));
    Ok(())
}

async fn userinfo(world: &mut LoginWorld, name: &str) -> anyhow::Result<(u16, Value)> {
    let token = world
        .agency
        .access_tokens
        .get(name)
        .and_then(|t| t.last())
        .cloned()
        .with_context(|| format!("the {name} agency holds no access token"))?;
    agency(world, name).await?.userinfo(&token).await
}

#[then(
    regex = r"^its userinfo request returns my (email address and phone number|email address and nothing else)$"
)]
async fn userinfo_returns(world: &mut LoginWorld, what: String) -> anyhow::Result<()> {
    let name = world.agency.request.as_ref().map(|(n, _)| n.clone()).context("no agency in this scenario")?;
    let (status, body) = userinfo(world, &name).await?;
    anyhow::ensure!(status == 200, "userinfo answered {status}: {body}");
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some((by, claims)) = &world.agency.claims
        && *by == name
    {
        anyhow::ensure!(
            text("sub").as_deref() == Some(claims.subject().as_str()),
            "userinfo's sub is not the ID token's"
        );
    }
    anyhow::ensure!(text("email") == Some(world.me.email.clone()), "userinfo gave email {:?}", text("email"));
    if what.contains("phone") {
        anyhow::ensure!(
            text("phone") == Some(world.me.phone.clone()),
            "userinfo gave phone {:?}",
            text("phone")
        );
    } else {
        anyhow::ensure!(
            body.get("phone").is_none(),
            "userinfo gave a phone number nobody agreed to share: {body}"
        );
    }
    // PV-3 holds for the ID token too: what it says of me is what was agreed, and mine.
    if let Some((by, claims)) = &world.agency.claims
        && *by == name
    {
        if let Some(email) = claims.email() {
            anyhow::ensure!(
                email.as_str() == world.me.email,
                "the ID token names another email: {}",
                email.as_str()
            );
        }
        match claims.phone_number() {
            Some(phone) if !what.contains("phone") => {
                anyhow::bail!(
                    "the ID token carries a phone number nobody agreed to share: {}",
                    phone.as_str()
                )
            }
            Some(phone) => {
                anyhow::ensure!(
                    phone.as_str() == world.me.phone,
                    "the ID token names another phone: {}",
                    phone.as_str()
                )
            }
            None => {}
        }
    }
    Ok(())
}

/// The claims an agency may get: the standard ones for what scopes share, nothing else.
const SHAREABLE_CLAIMS: &[&str] = &[
    "sub",
    "email",
    "email_verified",
    "phone",
    "phone_verified",
    "given_name",
    "family_name",
    "birthdate",
    "address",
    "social_security_number",
    "verified_at",
];

#[then(regex = r"^its userinfo request returns (my verified [A-Za-z ]+), and nothing about the checks$")]
async fn userinfo_verified(world: &mut LoginWorld, what: String) -> anyhow::Result<()> {
    use super::identity::{BIRTHDATE, FAMILY_NAME, GIVEN_NAME, STREET};
    let name = world.agency.request.as_ref().map(|(n, _)| n.clone()).context("no agency in this scenario")?;
    let (status, body) = userinfo(world, &name).await?;
    anyhow::ensure!(status == 200, "userinfo answered {status}: {body}");
    let object = body.as_object().with_context(|| format!("userinfo is not a JSON object: {body}"))?;
    for key in object.keys() {
        anyhow::ensure!(
            SHAREABLE_CLAIMS.contains(&key.as_str()),
            "userinfo carries {key:?}, which no scope shares (IV-3: no scores or vendor data): {body}"
        );
    }
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let asked = scopes(&what)?;
    let has = |scope: &str| asked.iter().any(|s| s == scope);
    let expect = |claim: &str, wanted: bool, value: Option<&str>| -> anyhow::Result<()> {
        match (wanted, body.get(claim)) {
            (false, Some(v)) => {
                anyhow::bail!("userinfo gives {claim} = {v}, which was not asked for and agreed")
            }
            (true, None) => anyhow::bail!("userinfo gives no {claim}, which was agreed: {body}"),
            (true, Some(_)) if value.is_some() && text(claim).as_deref() != value => {
                anyhow::bail!("userinfo gives {claim} = {:?}, the ID says {:?}", text(claim), value)
            }
            _ => Ok(()),
        }
    };
    expect("given_name", has("profile:name"), Some(GIVEN_NAME))?;
    expect("family_name", has("profile:name"), Some(FAMILY_NAME))?;
    expect("birthdate", has("profile:birthdate"), Some(BIRTHDATE))?;
    expect("address", has("address"), None)?;
    if has("address") {
        let street = body["address"]["street_address"].as_str().or(body["address"]["formatted"].as_str());
        anyhow::ensure!(
            street.is_some_and(|s| s.contains(STREET)),
            "userinfo's address does not hold the ID's street {STREET:?}: {}",
            body["address"]
        );
    }
    let entered = world.me.ssn.clone();
    let digits: String = entered.chars().filter(char::is_ascii_digit).collect();
    let ssn =
        text("social_security_number").map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>());
    match (has("social_security_number"), ssn) {
        (true, Some(given)) => {
            anyhow::ensure!(given == digits, "userinfo gives the SSN {given:?}, I entered {entered}")
        }
        (true, None) => anyhow::bail!("userinfo gives no social_security_number, which was agreed"),
        (false, Some(given)) => anyhow::bail!("userinfo gives an SSN ({given}) nobody agreed to share"),
        (false, None) => {}
    }
    Ok(())
}

#[then(regex = r"^the (\w+) agency's userinfo request is refused$")]
async fn userinfo_refused(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let (status, body) = userinfo(world, &name).await?;
    anyhow::ensure!(status == 401, "expected 401 for a revoked token, got {status}: {body}");
    anyhow::ensure!(body.get("email").is_none(), "a refused userinfo answer still carries the email");
    Ok(())
}

#[given(regex = r"^I have shared (my [a-z ]+) with the (\w+) agency$")]
async fn have_shared(world: &mut LoginWorld, what: String, name: String) -> anyhow::Result<()> {
    have_been_sent_back(world, name.clone(), what, String::new()).await?;
    exchange(world, &name, Exchange::AS_REGISTERED).await?;
    id_token(world).await
}

#[given(
    regex = r"^the (\w+) agency has sent me to sign in for (my [a-z ]+?)( without PKCE)? and I was sent back with a code$"
)]
async fn have_been_sent_back(
    world: &mut LoginWorld,
    name: String,
    what: String,
    how: String,
) -> anyhow::Result<()> {
    sends_me(world, name.clone(), what, how).await?;
    if next_step(world.last()?)? == "sign_in" {
        sign_in_fully(world).await?;
        continue_to_agency(world).await?;
    }
    if next_step(world.last()?)? == "consent" {
        answer_consent(world, "agree".into()).await?;
    }
    back_with_code(world, name).await
}

#[then(regex = r"^the two agencies know me by different identifiers$")]
async fn different_subjects(world: &mut LoginWorld) -> anyhow::Result<()> {
    let last = |n: &str| world.agency.subjects.get(n).and_then(|s| s.last()).cloned();
    let (a, b) =
        (last("benefits").context("no benefits subject")?, last("parks").context("no parks subject")?);
    anyhow::ensure!(a != b, "both agencies know me as {a}: they could join their records on it");
    Ok(())
}

#[then(regex = r"^the (\w+) agency knows me by the same identifier as before$")]
async fn same_subject(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let seen = world.agency.subjects.get(&name).cloned().unwrap_or_default();
    anyhow::ensure!(
        seen.len() >= 2,
        "the {name} agency has signed me in {} times, two are needed",
        seen.len()
    );
    anyhow::ensure!(seen.windows(2).all(|w| w[0] == w[1]), "the {name} agency knew me as {seen:?}");
    Ok(())
}

#[when(regex = r"^I stop sharing with the (\w+) agency$")]
async fn stop_sharing(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let client_id = agency(world, &name).await?.settings.client_id.clone();
    world.last = Some(world.driver.stop_sharing(&client_id).await?);
    expect_accepted(world.last()?)
}

#[then(regex = r"^the (\w+) agency is (not )?among the agencies I share with$")]
async fn among_shared(world: &mut LoginWorld, name: String, not: String) -> anyhow::Result<()> {
    let client_id = agency(world, &name).await?.settings.client_id.clone();
    let answer = world.driver.shared_agencies().await?;
    expect_accepted(&answer)?;
    let Outcome::Accepted { details } = &answer else { unreachable!("checked above") };
    let listed = details
        .get("agencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|a| a.get("client_id").and_then(Value::as_str) == Some(client_id.as_str()));
    anyhow::ensure!(
        listed == not.is_empty(),
        "the {name} agency is {}listed: {details}",
        if listed { "" } else { "not " }
    );
    Ok(())
}

#[when(regex = r"^the (\w+) agency signs me out, returning me to (its registered|an unregistered) address$")]
async fn agency_signs_out(world: &mut LoginWorld, name: String, which: String) -> anyhow::Result<()> {
    let agency = agency(world, &name).await?;
    let to = if which == "its registered" {
        agency.settings.post_logout_redirect_uri.clone()
    } else {
        "https://attacker.example/after-logout".to_owned()
    };
    let state = openidconnect::CsrfToken::new_random().secret().clone();
    let url = agency.logout_url(&to, &state)?;
    world.last = Some(world.driver.open_agency_logout(&url).await?);
    world.agency.request = None;
    remember_redirect(world)?;
    world.agency.logout_state = Some(state);
    Ok(())
}

#[then("I am still signed in")]
async fn still_signed_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    super::sign_in::account_is_mine(world).await
}

#[then(regex = r"^I am sent to the (\w+) agency's signed-out address with the state it sent$")]
async fn sent_to_signed_out(world: &mut LoginWorld, name: String) -> anyhow::Result<()> {
    let signed_out = agency(world, &name).await?.settings.post_logout_redirect_uri.clone();
    let to = sent_to(world, &signed_out)?;
    anyhow::ensure!(
        query(to, "state") == world.agency.logout_state,
        "the state sent back is not the one the agency sent: {to}"
    );
    Ok(())
}
