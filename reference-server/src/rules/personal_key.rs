//! Personal keys (PK-1, PK-5): random characters from Crockford's base32 alphabet, shown in
//! groups of four, entered in any case with or without spaces and dashes.

use rand::Rng;

/// Crockford base32: no I, L, O or U, so nothing is mistaken for 1, 0 or V.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new key of `length` characters (16 by policy: 80 bits), grouped `ABCD-EFGH-…`.
pub fn new_key(length: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..length).map(|_| char::from(ALPHABET[rng.gen_range(0..32)])).collect();
    group(&raw)
}

fn group(raw: &str) -> String {
    raw.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The canonical form of an entered key: upper case, separators dropped, and the letters
/// people confuse with digits read as those digits (O → 0, I and L → 1).
pub fn normalize(entered: &str) -> String {
    entered
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_grouped_unambiguous_and_random() {
        let key = new_key(16);
        assert_eq!(key.len(), 19);
        assert_eq!(key.matches('-').count(), 3);
        assert!(normalize(&key).bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(new_key(16), new_key(16));
    }

    #[test]
    fn entry_tolerates_case_spaces_dashes_and_lookalikes() {
        assert_eq!(normalize("ab1c-d2ef 34gh-jk5m"), "AB1CD2EF34GHJK5M");
        assert_eq!(normalize("o0il-1LOO"), "00111100");
    }
}
