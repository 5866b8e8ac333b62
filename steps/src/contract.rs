//! The contract a service meets to be driven by the suite, stated once: the pages the browser
//! driver must recognise, the outcomes and reason codes both drivers read, and the
//! capabilities a target can declare. Written from the requirements, not from the reference
//! server; `conformance contract` prints it.

/// A page of the browser contract: what it is, and what the driver types, ticks, presses and
/// reads there (the suite's words; a target maps its own in `[browser] labels`).
pub struct Page {
    pub name: &'static str,
    /// Where the driver opens the page itself (the reference path; `[browser] paths` maps it);
    /// empty for pages only reached by an action or a link.
    pub opened_at: &'static str,
    pub what: &'static str,
    pub fields: &'static [&'static str],
    pub choices: &'static [&'static str],
    pub buttons: &'static [&'static str],
    pub reads: &'static str,
}

/// The pages the browser driver recognises. An action is accepted only when the page it
/// leads to is one of these, recognised by its marker (the reference pages carry
/// `data-page="<name>"` on `<main>`; a target maps its own in `[browser.pages.<name>]`).
pub const PAGES: &[Page] = &[
    Page {
        name: "home",
        opened_at: "/",
        what: "the start page, shown to someone signed out",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "",
    },
    Page {
        name: "sign_up",
        opened_at: "/sign-up",
        what: "asks for an email address to create an account",
        fields: &["Email address"],
        choices: &[],
        buttons: &["Submit"],
        reads: "",
    },
    Page {
        name: "check_email",
        opened_at: "/sign-up/check-email",
        what: "says a confirmation link was emailed (also after asking for it again)",
        fields: &[],
        choices: &[],
        buttons: &["Send again"],
        reads: "",
    },
    Page {
        name: "confirm_email",
        opened_at: "",
        what: "where an emailed confirmation link leads: one button uses the link",
        fields: &[],
        choices: &[],
        buttons: &["Continue"],
        reads: "",
    },
    Page {
        name: "report_misuse",
        opened_at: "",
        what: "where the link in the notice of a sign-up attempt leads: one button reports misuse of the address",
        fields: &[],
        choices: &[],
        buttons: &["Report misuse"],
        reads: "",
    },
    Page {
        name: "misuse_reported",
        opened_at: "",
        what: "acknowledges a report of misuse",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "the reference: the text of [browser.reads] reference (default `.reference`)",
    },
    Page {
        name: "create_password",
        opened_at: "/sign-up/password",
        what: "asks the new account's password (after the email is confirmed)",
        fields: &["Password"],
        choices: &[],
        buttons: &["Continue"],
        reads: "the strength meter, when the field has `data-strength`",
    },
    Page {
        name: "add_phone",
        opened_at: "/sign-up/phone",
        what: "asks a phone number and whether codes come by text or call",
        fields: &["Phone number"],
        choices: &["Text message (SMS)", "Phone call"],
        buttons: &["Send code"],
        reads: "",
    },
    Page {
        name: "phone_code",
        opened_at: "/sign-up/phone/code",
        what: "asks for the code sent to the new account's phone",
        fields: &["Security code"],
        choices: &[],
        buttons: &["Submit", "Text me a new code", "Call me with a new code"],
        reads: "",
    },
    Page {
        name: "personal_key",
        opened_at: "",
        what: "shows a personal key to save (the key's groups readable on the page)",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "the key: the texts of [browser.reads] personal_key (default `.personal-key span`), joined by -",
    },
    Page {
        name: "sign_in",
        opened_at: "/sign-in",
        what: "asks for email address and password",
        fields: &["Email address", "Password"],
        choices: &[],
        buttons: &["Sign in"],
        reads: "",
    },
    Page {
        name: "choose_factor",
        opened_at: "/sign-in/choose",
        what: "after the password: how to get the security code",
        fields: &[],
        choices: &[],
        buttons: &["Text me a code", "Call me with a code"],
        reads: "",
    },
    Page {
        name: "sign_in_code",
        opened_at: "/sign-in/code",
        what: "asks for the code sent to the account's phone",
        fields: &["Security code"],
        choices: &[],
        buttons: &["Submit"],
        reads: "",
    },
    Page {
        name: "sign_in_personal_key",
        opened_at: "/sign-in/personal-key",
        what: "asks for the personal key instead of a code",
        fields: &["Personal key"],
        choices: &[],
        buttons: &["Submit"],
        reads: "",
    },
    Page {
        name: "sign_in_authenticator",
        opened_at: "/sign-in/authenticator",
        what: "asks for the code from the authenticator app",
        fields: &["Code from your app"],
        choices: &[],
        buttons: &["Submit"],
        reads: "",
    },
    Page {
        name: "account",
        opened_at: "/account",
        what: "the signed-in account page: email, phone, agencies shared with, sign out",
        fields: &[],
        choices: &[],
        buttons: &["Sign out"],
        reads: "email and phone from `<dt>Email address</dt><dd>…` and `<dt>Phone number</dt>`; agencies from the forms carrying a `client_id` input (each one's button stops sharing with it); identity verification's status from [browser.reads] verification (default `.verification`: its `data-status`, or its text named by status_names: unverified, verified, needs_personal_key, in_person_pending, in_person_failed, in_person_expired); while pending at a Post Office, the enrollment code from [browser.reads] enrollment_code (default `.enrollment-code`)",
    },
    Page {
        name: "forgot_password",
        opened_at: "/password/forgot",
        what: "asks the address to send a password reset link to",
        fields: &["Email address"],
        choices: &[],
        buttons: &["Send reset link"],
        reads: "",
    },
    Page {
        name: "reset_sent",
        opened_at: "",
        what: "says a reset link was emailed if the address has an account",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "",
    },
    Page {
        name: "reset_password",
        opened_at: "",
        what: "where an emailed reset link leads: asks the new password",
        fields: &["New password"],
        choices: &[],
        buttons: &["Change password"],
        reads: "",
    },
    Page {
        name: "password_reset",
        opened_at: "",
        what: "says the password was changed (after a reset)",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "",
    },
    Page {
        name: "change_password",
        opened_at: "/account/password",
        what: "asks the current and a new password",
        fields: &["Your current password", "New password"],
        choices: &[],
        buttons: &["Change password"],
        reads: "",
    },
    Page {
        name: "change_email",
        opened_at: "/account/email",
        what: "asks the current password and a new email address",
        fields: &["Your current password", "New email address"],
        choices: &[],
        buttons: &["Send confirmation link"],
        reads: "",
    },
    Page {
        name: "email_change_sent",
        opened_at: "",
        what: "says a confirmation link went to the new address",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "",
    },
    Page {
        name: "confirm_new_email",
        opened_at: "",
        what: "where the link sent to a new address leads: one button uses it",
        fields: &[],
        choices: &[],
        buttons: &["Continue"],
        reads: "",
    },
    Page {
        name: "email_changed",
        opened_at: "",
        what: "says the email address was changed",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "",
    },
    Page {
        name: "change_phone",
        opened_at: "/account/phone",
        what: "asks the current password and a new phone number",
        fields: &["Your current password", "New phone number"],
        choices: &["Text message (SMS)", "Phone call"],
        buttons: &["Send code"],
        reads: "",
    },
    Page {
        name: "change_phone_code",
        opened_at: "/account/phone/code",
        what: "asks for the code sent to the new phone number",
        fields: &["Security code"],
        choices: &[],
        buttons: &["Submit"],
        reads: "",
    },
    Page {
        name: "add_authenticator",
        opened_at: "/account/authenticator",
        what: "asks the current password before adding an authenticator app",
        fields: &["Your current password"],
        choices: &[],
        buttons: &["Continue"],
        reads: "",
    },
    Page {
        name: "authenticator_setup",
        opened_at: "",
        what: "shows the app's secret (and QR code) and asks a code from it",
        fields: &["Code from your app"],
        choices: &[],
        buttons: &["Add app"],
        reads: "the secret ([browser.reads] secret, default `#authenticator-secret`), the otpauth link (otpauth_link)",
    },
    Page {
        name: "change_done",
        opened_at: "",
        what: "says an account change (password, phone, app) was made",
        fields: &[],
        choices: &[],
        buttons: &[],
        reads: "",
    },
    Page {
        name: "consent",
        opened_at: "/openid_connect/consent",
        what: "asks whether to share the listed details with the named agency",
        fields: &[],
        choices: &[],
        buttons: &["Agree and continue", "Do not share, go back"],
        reads: "the agency ([browser.reads] agency_name, default `#agency-name`), the details (attributes, default `[data-attribute]`; their words named by attribute_names)",
    },
    Page {
        name: "verify_consent",
        opened_at: "/verify",
        what: "starts identity verification: the person agrees to have their ID, photo and details checked",
        fields: &[],
        choices: &["I agree to have my ID, my photo and my details checked"],
        buttons: &["Continue"],
        reads: "",
    },
    Page {
        name: "verify_documents",
        opened_at: "/verify/documents",
        what: "takes photos of the ID's front and back and of the person (file inputs)",
        fields: &["Front of your ID", "Back of your ID", "Photo of you"],
        choices: &[],
        buttons: &["Upload"],
        reads: "",
    },
    Page {
        name: "verify_in_person",
        opened_at: "/verify/in-person",
        what: "in person (IV-2), after agreeing: searches participating Post Offices near a ZIP code",
        fields: &["ZIP code"],
        choices: &[],
        buttons: &["Search"],
        reads: "",
    },
    Page {
        name: "verify_post_offices",
        opened_at: "",
        what: "lists the Post Offices found, one radio button each (in the order found), to choose one",
        fields: &[],
        choices: &["Choose a Post Office"],
        buttons: &["Choose this Post Office"],
        reads: "the Post Offices offered: the radio buttons of the choice",
    },
    Page {
        name: "verify_id_details",
        opened_at: "/verify/in-person/details",
        what: "in person: the details exactly as on the ID the person will bring",
        fields: &["First name", "Last name", "Date of birth", "Street address", "City", "State", "ZIP code"],
        choices: &[],
        buttons: &["Continue"],
        reads: "",
    },
    Page {
        name: "verify_ssn",
        opened_at: "/verify/ssn",
        what: "asks for the Social Security number (after the ID was accepted)",
        fields: &["Social Security number"],
        choices: &[],
        buttons: &["Continue"],
        reads: "",
    },
    Page {
        name: "verify_review",
        opened_at: "/verify/review",
        what: "shows the details to review and asks for the password to finish",
        fields: &["Password"],
        choices: &[],
        buttons: &["Verify my identity"],
        reads: "",
    },
    Page {
        name: "verify_reactivate",
        opened_at: "/verify/reactivate",
        what: "after a reset: asks for the personal key and the password to unlock the verified identity",
        fields: &["Personal key", "Password"],
        choices: &[],
        buttons: &["Reactivate"],
        reads: "",
    },
];

/// What a refusal can say it is, and what each means. `rejected` answers carry one of
/// [`REASONS`]; the others may carry a time.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("rejected", "refused by a rule; carries a reason code"),
    ("rate_limited", "too many requests; may say when asking works again"),
    ("locked", "entering codes is locked; may say until when"),
    ("signed_out", "the person was signed out (after too many wrong entries, locked until a time)"),
    ("invalid_request", "the request itself was malformed or cannot be used; carries a reason"),
];

/// The reason codes a `rejected` answer may carry, and what each means. An answer with any
/// other reason is one the suite cannot interpret: a failure, never a guess.
pub const REASONS: &[(&str, &str)] = &[
    ("invalid_email", "the text is not an email address"),
    ("no_sign_up_in_progress", "nothing to resend or confirm: no sign-up was started in this session"),
    ("email_not_confirmed", "the password step needs the email confirmed first"),
    ("link_invalid", "the emailed link is not one the service issued"),
    ("link_expired", "the emailed link is past its lifetime"),
    ("link_used", "the emailed link was used already"),
    ("link_superseded", "a newer link was sent; only the newest works"),
    ("already_registered", "the new email address already belongs to an account (an email change)"),
    ("password_too_short", "the password is shorter than the minimum"),
    ("password_too_long", "the password is longer than the maximum"),
    ("password_common", "the password is a commonly used one"),
    ("password_control_characters", "the password holds control characters"),
    ("invalid_phone", "the text is not a usable phone number"),
    ("password_not_set", "the phone step needs the password set first"),
    ("sms_not_supported", "the number cannot receive texts; a call works"),
    ("sms_opted_out", "the number opted out of texts; a call works"),
    ("phone_unreachable", "the number takes neither texts nor calls"),
    ("no_code_sent", "no code was sent that this entry could match"),
    ("code_wrong", "the code is not the one sent"),
    ("code_expired", "the code is past its lifetime"),
    ("code_used", "the code was used already"),
    ("code_superseded", "a newer code was sent; only the newest works"),
    ("personal_key_wrong", "the personal key does not match"),
    ("credentials_invalid", "the email and password do not match an account (one answer for both)"),
    ("current_password_wrong", "the current password given to confirm a change is wrong"),
    ("no_authenticator", "the account has no authenticator app"),
    ("authenticator_not_started", "no authenticator set-up is in progress"),
    ("no_change_in_progress", "nothing is waiting for this confirmation"),
    ("no_agency_request", "no agency sign-in request is waiting"),
    ("agency_not_connected", "the account does not share with that agency"),
    ("verification_consent_required", "identity verification starts with agreeing to the checks"),
    ("verification_step_out_of_order", "that verification step comes later (or nothing is being verified)"),
    ("document_unreadable", "the document-verification service could not read the ID"),
    ("document_expired", "the ID has expired"),
    ("document_failed", "the ID failed a check (a security feature)"),
    ("selfie_mismatch", "the photo of the person does not match the ID's photo"),
    ("identity_not_found", "identity resolution found no one with these details"),
    ("unsupported_image", "an upload is not an image the service takes"),
    ("image_too_large", "an upload is larger than the service takes"),
    ("ssn_invalid", "the SSN is not nine digits"),
    ("nothing_to_reactivate", "no verified identity waits for a personal key"),
    ("zip_invalid", "in person: the ZIP code is not five digits (or ZIP+4)"),
    ("no_post_office_nearby", "in person: no participating Post Office near that ZIP code"),
    ("post_office_unknown", "in person: the Post Office chosen is not one of those offered"),
    ("id_details_invalid", "in person: the details as on the ID are incomplete or malformed"),
];

/// What a target can declare its service offers (`capabilities = [...]`); scenarios tagged
/// `@needs-<capability>` run only when it is declared. A target that declares nothing offers
/// everything the requirements ask for.
pub const CAPABILITIES: &[(&str, &str)] = &[
    ("voice", "security codes by phone call, not only by text"),
    ("personal_key", "the personal key: shown at sign-up, usable to sign in"),
    ("authenticator_app", "authenticator apps as a second factor"),
    ("password_change", "changing the password from the account page"),
    ("email_change", "changing the email address from the account page"),
    ("phone_change", "changing the phone number from the account page"),
    (
        "identity_verification",
        "verifying identity from a photo ID and a selfie; verified identity for agencies (IV-1, IV-3, PV-2, PR-4)",
    ),
    (
        "in_person_verification",
        "verifying identity at a Post Office: enrollment code, deadline, result (IV-2); the service uses \
         the fakes' USPS-shaped API, and the clock hook's moves run its result checks",
    ),
];

/// Whether `reason` is a reason code of the contract.
pub fn known_reason(reason: &str) -> bool {
    REASONS.iter().any(|(r, _)| *r == reason)
}

/// Whether `name` names a page of the contract.
pub fn known_page(name: &str) -> bool {
    PAGES.iter().any(|p| p.name == name)
}

/// The whole contract, as `conformance contract` prints it.
pub fn render() -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "THE CONTRACT A SERVICE MEETS TO BE CHECKED BY THIS SUITE\n\n\
         Everything below can be met without changing the service: the target file maps its own\n\
         paths, words, pages, refusals, cookies and capabilities (see the README).\n"
    );
    let _ = writeln!(
        out,
        "CLOCK HOOK ([clock] hook_url; optional, needed by time scenarios and the properties)\n  \
         GET  → {{\"now\": \"<RFC 3339>\"}}: the service's current time.\n  \
         POST {{\"advance_seconds\": N}} → {{\"now\": …}}: moves the service's clock N seconds forward.\n  \
         Between hook calls the service's clock stands still: every rule that depends on time reads\n  \
         this clock, and nothing else moves it.\n  \
         A hook that anyone could call would let anyone skip a lockout: it should require\n  \
         `Authorization: Bearer <token>` ([clock] token; 401 without it) wherever it is reachable\n  \
         beyond the machine it runs on.\n"
    );
    let _ = writeln!(
        out,
        "DELIVERIES HOOK ([deliveries] hook_url; optional, makes checks that nothing came exact and quick)\n  \
         GET  → {{\"waiting\": N}}: how many emails, texts and calls the service has queued and not yet\n  \
         handed to the mail server or SMS provider (it may hold the answer while they go). Once it says\n  \
         0, one look at the inbox decides that a message did not come. Without the hook the suite\n  \
         watches the inbox for 300 ms, which a service slower to send than that would pass.\n  \
         Same token rules as the clock hook ([deliveries] token).\n"
    );
    let _ = writeln!(
        out,
        "MAIL AND TEXTS: deliver to the fakes (`conformance fakes`); emailed links are followed as\n  \
         mailed, whatever their form; codes are the 6-digit number in a text or call.\n"
    );
    let _ = writeln!(out, "OUTCOMES (the JSON API's `outcome`; a page's refusal)");
    for (outcome, meaning) in OUTCOMES {
        let _ = writeln!(out, "  {outcome:<16} {meaning}");
    }
    let _ = writeln!(
        out,
        "  accepted         (JSON API only, with a 2xx status; a page is accepted by being the page the\n                   action leads to)\n\n\
         JSON API: a refusal's status is 4xx and agrees with its outcome (429 rate_limited, 401\n\
         signed_out); rate_limited carries `retry_at`, locked `until`, signed_out `locked_until`\n\
         (RFC 3339). Any other answer, a 5xx, or a reason below not listed is a failure.\n"
    );
    let _ = writeln!(out, "REASON CODES (a rejected answer's `reason`)");
    for (reason, meaning) in REASONS {
        let _ = writeln!(out, "  {reason:<28} {meaning}");
    }
    let _ = writeln!(
        out,
        "\nBROWSER PAGES: each page is recognised by its marker, by default `main[data-page='<name>']`;\n\
         map your own in [browser.pages.<name>] with path, path_pattern, selector and/or text (all\n\
         given must hold). A refusal is recognised by [[browser.outcomes]] (text regex → outcome and\n\
         reason) or by `data-outcome`, `data-reason` and `data-at` (RFC 3339) on `<main>`. A page the\n\
         action cannot lead to, or any 5xx, fails the check and says what was there. Fields are found\n\
         by their <label for>, buttons by their words ([browser] labels maps the words below).\n\
         The session is the value of the cookie(s) in [browser] session_cookies (default: sid).\n"
    );
    for page in PAGES {
        let _ = writeln!(out, "  {:<22} {}", page.name, page.what);
        if !page.opened_at.is_empty() {
            let _ = writeln!(out, "  {:<22}   opened at: {}", "", page.opened_at);
        }
        for (what, words) in [("fields", page.fields), ("choices", page.choices), ("buttons", page.buttons)] {
            if !words.is_empty() {
                let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
                let _ = writeln!(out, "  {:<22}   {what}: {}", "", quoted.join(", "));
            }
        }
        if !page.reads.is_empty() {
            let _ = writeln!(out, "  {:<22}   reads: {}", "", page.reads);
        }
    }
    let _ = writeln!(
        out,
        "\nCAPABILITIES (capabilities = [...] in the target; absent: all). Scenarios tagged\n\
         @needs_<capability> are not run when it is not declared, and their IDs stay unchecked.\n\
         Agency sign-in is offered when the target has an [oidc] section."
    );
    for (capability, meaning) in CAPABILITIES {
        let _ = writeln!(out, "  {capability:<18} {meaning}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_names_every_page_reason_and_capability() {
        let text = render();
        for name in PAGES
            .iter()
            .map(|p| p.name)
            .chain(REASONS.iter().map(|r| r.0))
            .chain(CAPABILITIES.iter().map(|c| c.0))
        {
            assert!(text.contains(name), "{name} is missing");
        }
        assert!(text.contains("advance_seconds"));
    }

    /// The reference API documents the same reason codes (read from its committed document,
    /// not its code): a reason it can answer with that the contract lacks would fail its runs.
    #[test]
    fn the_reference_api_documents_the_contract_reasons() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../reference-server/openapi.json");
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let documented: Vec<&str> = doc["components"]["schemas"]["ReasonCode"]["enum"]
            .as_array()
            .expect("ReasonCode")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for (reason, _) in REASONS {
            assert!(documented.contains(reason), "{reason} is not in the reference API's ReasonCode");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut pages: Vec<&str> = PAGES.iter().map(|p| p.name).collect();
        pages.sort_unstable();
        pages.dedup();
        assert_eq!(pages.len(), PAGES.len());
        let mut reasons: Vec<&str> = REASONS.iter().map(|r| r.0).collect();
        reasons.sort_unstable();
        reasons.dedup();
        assert_eq!(reasons.len(), REASONS.len());
    }
}
