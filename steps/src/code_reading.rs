//! Reading a security code out of a text message or a call, by the suite's own rule: only
//! the suite knows how a target words its messages, so it never takes a fake's reading.
//!
//! The rule: a code is a run of digits bounded by anything but a digit (punctuation ends it),
//! of 6 to 8 digits. Digits read out one at a time ("1 2 3 4 5 6", "1, 2, 3, …") count as one
//! run, as do equal groups joined by a space or a hyphen ("123 456", "123-456"). A number
//! followed by a word of time ("10 minutes", "5 minutos") is never the code, nor is one of
//! another length (a year, a count). When the message says the same code twice (a call
//! repeats it), that is one code; two different candidates are an error that names both. A
//! target whose messages defeat the rule gives `code_pattern` in `[inbox]`: a regex whose one
//! group is the code.

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use regex::Regex;

/// Words of time: a number just before one is a duration, not a code.
static TIME_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|segundos?|minutos?|horas?|d[ií]as?)\b",
    )
    .expect("time words")
});

/// How a message's code is found.
#[derive(Debug, Clone)]
pub struct CodeReader {
    pattern: Option<Regex>,
    lengths: RangeInclusive<usize>,
}

impl Default for CodeReader {
    fn default() -> Self {
        Self { pattern: None, lengths: 6..=8 }
    }
}

/// A number found in a message, and whether it can be the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub digits: String,
    /// Why it is not the code (`None`: it can be).
    pub excluded: Option<&'static str>,
}

impl CodeReader {
    /// The default rule, or `pattern` (a regex with exactly one group) in its place.
    pub fn new(pattern: Option<&str>) -> anyhow::Result<Self> {
        let pattern = pattern
            .map(|p| {
                let regex = Regex::new(p).map_err(|e| anyhow::anyhow!("inbox.code_pattern: {e}"))?;
                anyhow::ensure!(
                    regex.captures_len() == 2,
                    "inbox.code_pattern {p:?} must have exactly one group, the code"
                );
                Ok(regex)
            })
            .transpose()?;
        Ok(Self { pattern, ..Self::default() })
    }

    /// The code in `text`, or why none can be read.
    pub fn read(&self, text: &str) -> anyhow::Result<String> {
        if let Some(pattern) = &self.pattern {
            let code = pattern.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str());
            return code
                .map(|c| c.chars().filter(char::is_ascii_digit).collect())
                .filter(|c: &String| !c.is_empty())
                .ok_or_else(|| anyhow::anyhow!("the target's code_pattern finds no code in {text:?}"));
        }
        let mut codes: Vec<String> =
            self.candidates(text).into_iter().filter(|c| c.excluded.is_none()).map(|c| c.digits).collect();
        codes.sort();
        codes.dedup();
        match codes.as_slice() {
            [code] => Ok(code.clone()),
            [] => anyhow::bail!(
                "no security code in {text:?}: no run of {} to {} digits that is not a duration \
                 (`conformance explain-code` shows the reading; code_pattern in [inbox] sets your own)",
                self.lengths.start(),
                self.lengths.end()
            ),
            several => anyhow::bail!(
                "more than one possible security code in {text:?}: {} (code_pattern in [inbox] says which)",
                several.join(", ")
            ),
        }
    }

    /// Every number in `text`, in order, with why it is or is not the code.
    pub fn candidates(&self, text: &str) -> Vec<Candidate> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let (groups, end) = groups_from(&chars, i);
            let digits: String = groups.concat();
            let rest: String = chars[end..].iter().collect();
            let excluded = if TIME_WORD.is_match(&rest) {
                Some("a duration")
            } else if !self.lengths.contains(&digits.len()) {
                Some("not 6 to 8 digits")
            } else {
                None
            };
            out.push(Candidate { digits, excluded });
            i = end;
        }
        out
    }

    /// What the suite reads in `text`, line by line, for `conformance explain-code`.
    pub fn explain(&self, text: &str) -> String {
        let mut out = String::new();
        if let Some(pattern) = &self.pattern {
            out.push_str(&format!("code_pattern {}\n", pattern.as_str()));
        } else {
            for c in self.candidates(text) {
                match c.excluded {
                    Some(why) => out.push_str(&format!("  {:<10} not the code: {why}\n", c.digits)),
                    None => out.push_str(&format!("  {:<10} a possible code\n", c.digits)),
                }
            }
        }
        match self.read(text) {
            Ok(code) => out.push_str(&format!("reads: {code}\n")),
            Err(e) => out.push_str(&format!("reads nothing: {e}\n")),
        }
        out
    }
}

/// The digit groups of one number starting at `start`: digits, then more groups joined by one
/// space or hyphen (or ", " between single spoken digits) while they keep the same size.
fn groups_from(chars: &[char], start: usize) -> (Vec<String>, usize) {
    let run = |from: usize| {
        let end = (from..chars.len()).find(|&j| !chars[j].is_ascii_digit()).unwrap_or(chars.len());
        (chars[from..end].iter().collect::<String>(), end)
    };
    let (first, mut end) = run(start);
    let size = first.len();
    let mut groups = vec![first];
    loop {
        // A joiner: " ", "-", or for digits read out one by one also ", " or ",".
        let joiner = match (chars.get(end), chars.get(end + 1)) {
            (Some(' ' | '-'), Some(d)) if d.is_ascii_digit() => 1,
            (Some(','), Some(' ')) if size == 1 && chars.get(end + 2).is_some_and(char::is_ascii_digit) => 2,
            (Some(','), Some(d)) if size == 1 && d.is_ascii_digit() => 1,
            _ => break,
        };
        let (next, next_end) = run(end + joiner);
        if next.len() != size {
            break;
        }
        groups.push(next);
        end = next_end;
    }
    (groups, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_wordings_give_their_code() {
        let reader = CodeReader::default();
        for (text, code) in [
            ("Your code: 123456. 5 minutes to use it.", "123456"),
            ("Your code is 123456, 10 min to use it", "123456"),
            ("Login.gov 2024: your code is 654321", "654321"),
            ("1 2 3 4 5 6. 1 2 3 4 5 6.", "123456"),
            ("Your code is 1, 2, 3, 4, 5, 6. Again: 1, 2, 3, 4, 5, 6.", "123456"),
            ("Your security code is 123 456. It expires in 5 minutes.", "123456"),
            ("Code: 123-456 (valid 10 minutes)", "123456"),
            ("Su código de seguridad es 482913. Vence en 5 minutos.", "482913"),
            ("Login.gov: Su código de un solo uso es 70412985. No lo comparta.", "70412985"),
            ("482913 is your one-time code. Do not share it.", "482913"),
            ("Your code: 482913\nExpires in 10 minutes", "482913"),
        ] {
            assert_eq!(reader.read(text).unwrap(), code, "{text}");
        }
    }

    #[test]
    fn no_code_or_two_codes_is_said_and_never_guessed() {
        let reader = CodeReader::default();
        assert!(
            reader
                .read("Your account was changed on 12/01")
                .unwrap_err()
                .to_string()
                .contains("no security code")
        );
        let two = reader.read("Old code 111111, new code 222222").unwrap_err().to_string();
        assert!(two.contains("111111") && two.contains("222222"), "{two}");
        assert!(reader.read("Valid for 900000 seconds").is_err());
    }

    #[test]
    fn a_targets_pattern_reads_its_wording() {
        let reader = CodeReader::new(Some(r"PIN \[(\d+)\]")).unwrap();
        assert_eq!(reader.read("PIN [4412] 10 minutes").unwrap(), "4412");
        assert!(reader.read("no pin here").is_err());
        assert!(CodeReader::new(Some(r"\d+")).unwrap_err().to_string().contains("one group"));
        assert!(CodeReader::new(Some(r"(")).is_err());
    }

    #[test]
    fn explaining_names_every_number_and_the_reading() {
        let text = CodeReader::default().explain("Your code is 123456, 10 min");
        assert!(text.contains("123456     a possible code"), "{text}");
        assert!(text.contains("10         not the code: a duration"), "{text}");
        assert!(text.ends_with("reads: 123456\n"), "{text}");
    }

    proptest! {
        /// Any code put into any template, with any punctuation after it, reads back.
        #[test]
        fn a_code_in_any_template_reads_back(
            code in "[0-9]{6,8}",
            before in prop::sample::select(vec![
                "Your code is ", "Your code: ", "Login.gov 2024: your code is ", "Código: ",
                "Su código es ", "", "Sign-in service. Security code ", "Code (expires in 5 minutes): ",
            ]),
            after in prop::sample::select(vec![
                "", ".", ". It expires in 5 minutes.", ", valid for 10 min", "! Do not share it.",
                " — 15 minutes left", ". Vence en 5 minutos.", "\nDon't share it.", "; use it within 300 seconds",
            ]),
            spoken in any::<bool>(),
        ) {
            let said = if spoken {
                let digits: Vec<String> = code.chars().map(String::from).collect();
                let once = digits.join(", ");
                format!("{before}{once}{after} Again: {once}.")
            } else {
                format!("{before}{code}{after}")
            };
            prop_assert_eq!(CodeReader::default().read(&said).unwrap(), code);
        }
    }
}
