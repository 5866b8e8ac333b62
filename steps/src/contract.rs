//! The contract a service meets to be driven by the suite, stated once: the pages the browser
//! driver must recognise, the outcomes and reason codes both drivers read, and the
//! capabilities a target can declare. Written from the requirements, not from the reference
//! server; `conformance contract` prints it.

/// The pages the browser driver recognises, by name, with what each one is. An action is
/// accepted only when the page it leads to is one of these, recognised by its marker (the
/// reference pages carry `data-page="<name>"` on `<main>`; a target maps its own pages in
/// `[browser.pages.<name>]`).
pub const PAGES: &[(&str, &str)] = &[
    ("home", "the start page, shown to someone signed out"),
    ("sign_up", "asks for an email address to create an account"),
    ("check_email", "says a confirmation link was emailed (also after asking for it again)"),
    ("confirm_email", "where an emailed confirmation link leads: one button uses the link"),
    ("create_password", "asks the new account's password (after the email is confirmed)"),
    ("add_phone", "asks a phone number and whether codes come by text or call"),
    ("phone_code", "asks for the code sent to the new account's phone"),
    ("personal_key", "shows a personal key to save (the key's groups readable on the page)"),
    ("sign_in", "asks for email address and password"),
    ("choose_factor", "after the password: how to get the security code"),
    ("sign_in_code", "asks for the code sent to the account's phone"),
    ("sign_in_personal_key", "asks for the personal key instead of a code"),
    ("sign_in_authenticator", "asks for the code from the authenticator app"),
    ("account", "the signed-in account page: email, phone, agencies shared with, sign out"),
    ("forgot_password", "asks the address to send a password reset link to"),
    ("reset_sent", "says a reset link was emailed if the address has an account"),
    ("reset_password", "where an emailed reset link leads: asks the new password"),
    ("password_reset", "says the password was changed (after a reset)"),
    ("change_password", "asks the current and a new password"),
    ("change_email", "asks the current password and a new email address"),
    ("email_change_sent", "says a confirmation link went to the new address"),
    ("confirm_new_email", "where the link sent to a new address leads: one button uses it"),
    ("email_changed", "says the email address was changed"),
    ("change_phone", "asks the current password and a new phone number"),
    ("change_phone_code", "asks for the code sent to the new phone number"),
    ("add_authenticator", "asks the current password before adding an authenticator app"),
    ("authenticator_setup", "shows the app's secret (and QR code) and asks a code from it"),
    ("change_done", "says an account change (password, phone, app) was made"),
    ("consent", "asks whether to share the listed details with the named agency"),
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
];

/// Whether `reason` is a reason code of the contract.
pub fn known_reason(reason: &str) -> bool {
    REASONS.iter().any(|(r, _)| *r == reason)
}

/// Whether `name` names a page of the contract.
pub fn known_page(name: &str) -> bool {
    PAGES.iter().any(|(p, _)| *p == name)
}
