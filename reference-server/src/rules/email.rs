//! Email addresses as the service accepts them.

/// Why an address is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidEmail;

/// Trims and lower-cases `raw` and checks it looks like `local@domain.tld`.
///
/// Deliberately simple: the confirmation link is what proves an address works.
pub fn normalize(raw: &str) -> Result<String, InvalidEmail> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
    let well_formed = !local.is_empty()
        && email.len() <= 254
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c));
    if well_formed { Ok(email) } else { Err(InvalidEmail) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_case_insensitively() {
        assert_eq!(normalize("  Alice.Smith+gov@Example.TEST "), Ok("alice.smith+gov@example.test".into()));
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for bad in [
            "",
            "alice",
            "@example.test",
            "alice@",
            "alice@localhost",
            "a b@example.test",
            "a@b@c.test",
            "a@.test",
            "a@x..test",
            "<a>@x.test",
        ] {
            assert_eq!(normalize(bad), Err(InvalidEmail), "{bad:?}");
        }
        assert_eq!(normalize(&format!("{}@example.test", "a".repeat(65))), Err(InvalidEmail));
    }
}
