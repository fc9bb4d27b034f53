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
    let mut hasher = Sha256::new();
    for (i, token) in text.split_whitespace().enumerate() {
        if i > 0 {
            hasher.update(b" ");
        }
        hasher.update(token.as_bytes());
    }
    hasher.finalize().into()
}
