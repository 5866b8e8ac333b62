//! Test-only variants of the server (cargo feature `fixtures`, compiled into test builds
//! only): other presentations and deliberately broken services that the conformance suite must
//! pass or fail by the right requirement ID. One build serves them all; the variant is chosen
//! when the server starts (`Config::fixture`). What each changes is in `http/fixture.rs`, or in
//! the services where `service::broken!` names it.
//! (A rule broken by a number alone needs no variant: start the server with another policy.)

use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixture {
    /// Pages with none of the suite's `data-*` markup and a session cookie named
    /// `session_id`: the suite recognises them only through a target file's mapping.
    Unmarked,
    /// Another presentation of the whole web UI: other paths, other words, no page-contract
    /// markup, a terms checkbox at sign-up, a confirm-password field, a session cookie named
    /// `SESSION`.
    SecondPresentation,
    /// Broken: asking for the password step before confirming the email is a 500 page.
    PasswordStepServerError,
    /// Broken: confirmation links work for one hour instead of 24.
    OneHourLinks,
    /// Broken: signing up with an address that has an account says so on the page.
    ExistingAddressTold,
    /// Broken (SI-4): signing out through the API only tells the client to drop its cookie;
    /// the session lives on in the store.
    SignOutOnlyClearsCookie,
    /// Broken (PW-3): the API compares only a password's first 72 bytes, as bcrypt does.
    PasswordsCutAt72Bytes,
    /// Broken (PR-2): the API answers a reset request for an address with no account with
    /// 404, where a known address gets 200 (the same body otherwise).
    UnknownResetAddressTold,
    /// Broken (SU-4): the API limits confirmation emails per session, not per address, so
    /// emails spent on a mistyped address hold up the corrected one.
    ConfirmationEmailsPerSession,
    /// Broken (SU-7): the API acknowledges a report of misuse with a new reference each time
    /// and keeps nothing.
    MisuseReportsNotKept,
    /// Broken (SU-7): every report of misuse is kept, but all get one reference.
    OneReferenceForAllReports,
    /// Broken (ST-6): authenticator secrets of 64 bits, not the 128 RFC 4226 asks for at least.
    ShortAuthenticatorSecrets,
    /// Broken (ST-6): every authenticator app is given the same secret.
    OneAuthenticatorSecret,
    /// Broken (PH-1): the API takes a number the provider says is no phone, as if a code went.
    UnreachableNumbersAccepted,
    /// Broken (SI-2): the API answers a sign-in for an address with no account with 404, where
    /// a wrong password gets 401 (the same body otherwise).
    UnknownSignInAddressTold,
    /// Broken (AG-2): the API takes "decline" on the consent question as agreement.
    DeclineTakenAsConsent,
    /// Broken (PW-5): the API's answer to the password step repeats the password.
    PasswordEchoed,
    /// Broken (PW-2): the strength meter decides: a new password it rates weak (2 or less) is
    /// refused at sign-up.
    WeakPasswordsRefused,
    /// Broken (IV-1): the API takes an ID the document-verification service refused as if it
    /// had passed.
    DocumentsNotChecked,
    /// Broken (IV-3): the API's answer to an upload carries the vendor's verdicts.
    VendorResultsShown,
    /// Broken (PR-4): a password reset leaves the verified identity unlocked.
    ResetKeepsIdentity,
    /// Broken (PV-2): a password change does not wrap the verified identity's key under the new
    /// password, so the identity no longer opens.
    PasswordChangeLosesIdentity,
    /// Broken (OTP-2): a security code is never marked used, so it works again until it expires.
    CodesWorkTwice,
    /// Broken (SI-5): signing in keeps the session identifier the browser had before.
    SessionKeptAtSignIn,
    /// Broken (AG-3): every agency gets the same subject identifier for a person.
    OneSubjectForAllAgencies,
    /// Broken (PK-3): signing in with the personal key shows the same key again, and it keeps
    /// working.
    PersonalKeyKept,
    /// Broken (PK-4): the sign-in after a password reset issues no new personal key.
    NoKeyAfterReset,
    /// Broken (PV-4): signing in a week or more after sign-up emails tips for the account,
    /// which is no security message.
    NewsletterAfterAWeek,
    /// Broken (IV-2): an enrollment at a Post Office never reaches its deadline; it waits for
    /// a visit for ever.
    InPersonNeverExpires,
    /// Broken (AX-2): the style sheet hides where the focus is (no outline, no shadow).
    FocusHidden,
    /// Broken (AX-2): a keyboard trap: on the sign-up page, Tab never leaves the email field
    /// (a script swallows it), so the keyboard alone cannot reach the button.
    KeyboardTrap,
    /// Broken (OTP-4), only where several instances serve: code requests are counted in the
    /// serving instance's memory, as an in-process rate limiter would, so each instance allows
    /// the whole limit.
    CodeRequestsCountedPerInstance,
    /// Broken (OTP-4): a refused code request is told to come back a window after the latest
    /// counted request, not the first (the limit itself still holds).
    RetryAtFromLatestRequest,
    /// Broken (OTP-3): a new sign-in code leaves the older ones working until they expire.
    OlderCodesKept,
    /// Broken (OTP-6): codes follow a counter, one up from the last code the server sent.
    CountedCodes,
    /// Broken (PK-2): the personal key stands in for a phone code only while no code is
    /// waiting; once one was sent, the right key is refused (wrong keys still count).
    PersonalKeyRefusedOnceACodeIsSent,
    /// Broken (ST-4): asking for a new email address makes it the sign-in address at once,
    /// before its link is followed (the notices still go where they should).
    NewEmailTakenAtRequest,
    /// Broken (ST-1): the API changes the email address whatever current password is given.
    EmailChangeUnguarded,
    /// Broken (ST-1): the API changes the phone number whatever current password is given.
    PhoneChangeUnguarded,
    /// Broken (SU-1): an account whose phone was never confirmed is signed in by its password
    /// alone, as if the phone were optional.
    AccountUsableWithoutPhone,
    /// Broken (SI-1): the right password opens the account at once; the second factor is
    /// still asked for, but nothing waits for it.
    PasswordAloneOpensAccount,
    /// Broken (PH-2): at sign-up a wrong code confirms the phone as if it were the one sent.
    AnySignUpCodeConfirms,
    /// Broken (PH-3): a voice call asked for at sign-in is tried as a text first, and made a
    /// call only when the number takes no texts (a landline still gets its call).
    SignInVoiceOnlyForLandlines,
    /// Broken (PH-5): once a number is added at sign-up, another number is refused until the
    /// first is confirmed.
    FirstSignUpNumberSticks,
    /// Broken (ST-5): asking for a new phone number makes it the account's number at once,
    /// before its code is entered.
    NewPhoneTakenAtRequest,
    /// Broken (ST-6): an authenticator code works again as long as its time step is current.
    AuthenticatorCodesReusable,
    /// Broken (PH-4): a number the provider said takes no texts is refused its voice call too,
    /// as if every phone were a mobile.
    LandlinesRefused,
    /// Broken (PV-1): signing in with the personal key tells the owner nothing.
    PersonalKeyUseUntold,
    /// Broken (AG-1): the token endpoint asks for a PKCE verifier but does not compare it with
    /// the challenge.
    PkceVerifierNotCompared,
    /// Broken (AG-1): the token endpoint wants PKCE from every agency, also from one that proves
    /// who it is with a signed client assertion.
    PkceDemandedOfEveryAgency,
    /// Broken (PR-5): an identity verified in one account is not found for any other, so a
    /// person who had to open a new account can never verify again.
    OneAccountPerIdentity,
    /// Broken (AX-1, AX-3): the sign-up page carries an image without a text alternative, a
    /// field without a label, faint text and a banner 1000 px wide.
    InaccessiblePages,
}

impl FromStr for Fixture {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "unmarked" => Self::Unmarked,
            "second-presentation" => Self::SecondPresentation,
            "password-step-server-error" => Self::PasswordStepServerError,
            "one-hour-links" => Self::OneHourLinks,
            "existing-address-told" => Self::ExistingAddressTold,
            "sign-out-only-clears-cookie" => Self::SignOutOnlyClearsCookie,
            "passwords-cut-at-72-bytes" => Self::PasswordsCutAt72Bytes,
            "unknown-reset-address-told" => Self::UnknownResetAddressTold,
            "confirmation-emails-per-session" => Self::ConfirmationEmailsPerSession,
            "misuse-reports-not-kept" => Self::MisuseReportsNotKept,
            "one-reference-for-all-reports" => Self::OneReferenceForAllReports,
            "short-authenticator-secrets" => Self::ShortAuthenticatorSecrets,
            "one-authenticator-secret" => Self::OneAuthenticatorSecret,
            "unreachable-numbers-accepted" => Self::UnreachableNumbersAccepted,
            "unknown-sign-in-address-told" => Self::UnknownSignInAddressTold,
            "decline-taken-as-consent" => Self::DeclineTakenAsConsent,
            "password-echoed" => Self::PasswordEchoed,
            "weak-passwords-refused" => Self::WeakPasswordsRefused,
            "documents-not-checked" => Self::DocumentsNotChecked,
            "vendor-results-shown" => Self::VendorResultsShown,
            "reset-keeps-identity" => Self::ResetKeepsIdentity,
            "password-change-loses-identity" => Self::PasswordChangeLosesIdentity,
            "codes-work-twice" => Self::CodesWorkTwice,
            "session-kept-at-sign-in" => Self::SessionKeptAtSignIn,
            "one-subject-for-all-agencies" => Self::OneSubjectForAllAgencies,
            "personal-key-kept" => Self::PersonalKeyKept,
            "no-key-after-reset" => Self::NoKeyAfterReset,
            "newsletter-after-a-week" => Self::NewsletterAfterAWeek,
            "inaccessible-pages" => Self::InaccessiblePages,
            "in-person-never-expires" => Self::InPersonNeverExpires,
            "focus-hidden" => Self::FocusHidden,
            "keyboard-trap" => Self::KeyboardTrap,
            "code-requests-counted-per-instance" => Self::CodeRequestsCountedPerInstance,
            "retry-at-from-latest-request" => Self::RetryAtFromLatestRequest,
            "older-codes-kept" => Self::OlderCodesKept,
            "counted-codes" => Self::CountedCodes,
            "personal-key-refused-once-a-code-is-sent" => Self::PersonalKeyRefusedOnceACodeIsSent,
            "new-email-taken-at-request" => Self::NewEmailTakenAtRequest,
            "email-change-unguarded" => Self::EmailChangeUnguarded,
            "phone-change-unguarded" => Self::PhoneChangeUnguarded,
            "account-usable-without-phone" => Self::AccountUsableWithoutPhone,
            "password-alone-opens-account" => Self::PasswordAloneOpensAccount,
            "any-sign-up-code-confirms" => Self::AnySignUpCodeConfirms,
            "sign-in-voice-only-for-landlines" => Self::SignInVoiceOnlyForLandlines,
            "first-sign-up-number-sticks" => Self::FirstSignUpNumberSticks,
            "new-phone-taken-at-request" => Self::NewPhoneTakenAtRequest,
            "authenticator-codes-reusable" => Self::AuthenticatorCodesReusable,
            "personal-key-use-untold" => Self::PersonalKeyUseUntold,
            "pkce-verifier-not-compared" => Self::PkceVerifierNotCompared,
            "pkce-demanded-of-every-agency" => Self::PkceDemandedOfEveryAgency,
            "landlines-refused" => Self::LandlinesRefused,
            "one-account-per-identity" => Self::OneAccountPerIdentity,
            other => return Err(format!("no fixture {other:?}")),
        })
    }
}

/// What one server instance keeps in its own memory for a variant that breaks a rule by
/// keeping it there: events by limiter key ([`Fixture::CodeRequestsCountedPerInstance`]), the
/// address an account had before a change it took too early ([`Fixture::NewEmailTakenAtRequest`])
/// the last code of [`Fixture::CountedCodes`], the numbers that took no text
/// ([`Fixture::LandlinesRefused`]) and the account each SSN was first resolved for
/// ([`Fixture::OneAccountPerIdentity`]).
#[derive(Debug, Default)]
pub struct InstanceMemory {
    events: std::sync::Mutex<std::collections::HashMap<String, Vec<time::OffsetDateTime>>>,
    no_texts: std::sync::Mutex<std::collections::HashSet<crate::domain::Phone>>,
    old_emails: std::sync::Mutex<std::collections::HashMap<crate::domain::AccountId, crate::domain::Email>>,
    counter: std::sync::atomic::AtomicU64,
    ssn_owners: std::sync::Mutex<std::collections::HashMap<String, crate::domain::AccountId>>,
}

impl InstanceMemory {
    /// [`crate::rules::throttle::admit`] over this instance's events only.
    pub fn admit(
        &self,
        key: &str,
        now: time::OffsetDateTime,
        limit: u32,
        window: time::Duration,
    ) -> Result<(), time::OffsetDateTime> {
        let mut events = self.events.lock().expect("instance memory");
        let earlier = events.entry(key.to_owned()).or_default();
        crate::rules::throttle::admit(earlier, now, limit, window)?;
        earlier.push(now);
        Ok(())
    }

    /// Keeps the address an account had before its change was taken.
    pub fn remember_old_email(&self, account: crate::domain::AccountId, email: crate::domain::Email) {
        self.old_emails.lock().expect("instance memory").entry(account).or_insert(email);
    }

    pub fn take_old_email(&self, account: crate::domain::AccountId) -> Option<crate::domain::Email> {
        self.old_emails.lock().expect("instance memory").remove(&account)
    }

    /// Keeps a number the provider refused a text to as no mobile.
    pub fn remember_no_texts(&self, phone: &crate::domain::Phone) {
        self.no_texts.lock().expect("instance memory").insert(phone.clone());
    }

    pub fn takes_no_texts(&self, phone: &crate::domain::Phone) -> bool {
        self.no_texts.lock().expect("instance memory").contains(phone)
    }

    /// The account an SSN was first resolved for (this one, when it is the first).
    pub fn ssn_owner(&self, ssn: &str, account: crate::domain::AccountId) -> crate::domain::AccountId {
        *self.ssn_owners.lock().expect("instance memory").entry(ssn.to_owned()).or_insert(account)
    }

    /// The next code of a counter, `digits` long: predictable, the fault OTP-6 looks for.
    pub fn counted_code(&self, digits: u32) -> String {
        let modulus = 10u64.pow(digits.min(18));
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{:0width$}", (123_456 + n) % modulus, width = digits as usize)
    }
}

impl Fixture {
    /// The policy the variant runs under.
    pub fn policy(self, mut policy: crate::Policy) -> crate::Policy {
        if self == Self::OneHourLinks {
            policy.confirmation_link_lifetime_secs = 3600;
        }
        policy
    }
}

/// Whether a sign-in code was sent that is still unused, newest and unexpired
/// ([`Fixture::PersonalKeyRefusedOnceACodeIsSent`]).
pub async fn sign_in_code_waiting(
    store: &crate::store::Store,
    account_id: crate::domain::AccountId,
    now: time::OffsetDateTime,
) -> Result<bool, crate::store::StoreError> {
    let rows = store.codes(account_id, crate::store::CodePurpose::SignIn).await?;
    Ok(rows.iter().any(|r| !r.code.used && !r.code.superseded && r.code.expires_at > now))
}

/// When a refused request may be made again, counted from the latest counted one rather than
/// the first ([`Fixture::RetryAtFromLatestRequest`]).
pub fn retry_at_from_latest(
    earlier: &[time::OffsetDateTime],
    window: time::Duration,
    first: time::OffsetDateTime,
) -> time::OffsetDateTime {
    earlier.iter().max().map_or(first, |latest| *latest + window)
}
