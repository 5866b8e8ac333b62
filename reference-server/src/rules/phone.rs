//! Phone numbers as the service accepts them: E.164.

#[derive(Debug, PartialEq, Eq)]
pub struct InvalidPhone;

/// `+1 (202) 555-0100`, `202.555.0100` and `+12025550100` all become `+12025550100`.
/// Ten digits without a country code are taken as North American (+1).
pub fn normalize(raw: &str) -> Result<String, InvalidPhone> {
    let trimmed = raw.trim();
    if !trimmed.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return Err(InvalidPhone);
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = trimmed.starts_with('+');
    let e164 = match (international, digits.len()) {
        (true, 8..=15) => format!("+{digits}"),
        (false, 10) => format!("+1{digits}"),
        (false, 11) if digits.starts_with('1') => format!("+{digits}"),
        _ => return Err(InvalidPhone),
    };
    if e164.starts_with("+0") { Err(InvalidPhone) } else { Ok(e164) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_normalize_to_e164() {
        for raw in ["+1 (202) 555-0100", "202.555.0100", "12025550100", " +12025550100 "] {
            assert_eq!(normalize(raw), Ok("+12025550100".into()), "{raw}");
        }
        assert_eq!(normalize("+44 20 7183 8750"), Ok("+442071838750".into()));
    }

    #[test]
    fn what_cannot_be_a_number_is_refused() {
        for raw in ["", "555-0100", "+1 202 555 0100 ext 4", "call me", "+0123456789", "+1234567890123456"] {
            assert_eq!(normalize(raw), Err(InvalidPhone), "{raw}");
        }
    }
}
