//! Checksums of revision contents that ignore white space.

use sha2::{Digest, Sha256};

/// SHA-256 of `text` with every run of white space (line endings included)
/// folded to one space and leading and trailing white space dropped, so that
/// re-indenting a file or converting its line endings does not change it,
/// while any change to its SQL does.
///
/// ```
/// use retort_core::checksum::checksum;
/// assert_eq!(checksum("CREATE TABLE a (\r\n  x INT\r\n);"), checksum("CREATE TABLE a ( x INT );\n"));
/// assert_ne!(checksum("CREATE TABLE a (x INT);"), checksum("CREATE TABLE a (x BIGINT);"));
/// ```
pub fn checksum(text: &str) -> [u8; 32] {
    if text.is_ascii() {
        return ascii_checksum(text.as_bytes());
    }
    let mut hasher = Sha256::new();
    for (i, token) in text.split_whitespace().enumerate() {
        if i > 0 {
            hasher.update(b" ");
        }
        hasher.update(token.as_bytes());
    }
    hasher.finalize().into()
}

/// [`checksum`] of ASCII text: the same folding (`char::is_whitespace`'s
/// ASCII characters, vertical tab included), in one pass into a buffer and
/// one update, where a token at a time cost most of reading a history.
fn ascii_checksum(text: &[u8]) -> [u8; 32] {
    let mut folded = Vec::with_capacity(text.len());
    let mut space = false;
    for &byte in text {
        if matches!(byte, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r') {
            space = !folded.is_empty();
        } else {
            if space {
                folded.push(b' ');
                space = false;
            }
            folded.push(byte);
        }
    }
    Sha256::digest(&folded).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: tokens split on white space, joined by one space.
    fn by_tokens(text: &str) -> [u8; 32] {
        Sha256::digest(text.split_whitespace().collect::<Vec<_>>().join(" ").as_bytes()).into()
    }

    #[test]
    fn ascii_folding_is_the_token_folding() {
        for text in ["", " ", "a", " a ", "a\x0Bb", "a\x0C\r\n\tb  c\n", "\n\nSELECT 1;\n\n"] {
            assert_eq!(checksum(text), by_tokens(text), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn any_text_folds_as_its_tokens(text in "[ a-c\t\n\r\x0B\x0C\u{a0}\u{2028}é]{0,40}") {
            prop_assert_eq!(checksum(&text), by_tokens(&text));
        }
    }
}
