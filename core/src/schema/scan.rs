//! Scanning SQL text at nesting level 0: past quoted text, to a matching
//! parenthesis, and cut at a separator outside parentheses and quotes.

/// Past the quoted text that starts at `start` (`'…'`, `"…"`, `` `…` ``
/// with the quote doubled inside, or SQLite's `[…]`); `None` when it never
/// closes.
pub(crate) fn skip_quoted(bytes: &[u8], start: usize) -> Option<usize> {
    let close = if bytes[start] == b'[' { b']' } else { bytes[start] };
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == close {
            if close != b']' && bytes.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// True for a byte that opens quoted text.
pub(crate) fn opens_quote(byte: u8) -> bool {
    matches!(byte, b'\'' | b'"' | b'`' | b'[')
}

/// `text` cut at `separator` outside parentheses and quotes.
pub(crate) fn split_top_level(text: &str, separator: u8) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut parts, mut depth, mut start, mut i) = (Vec::new(), 0usize, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b if opens_quote(b) => {
                i = skip_quoted(bytes, i).unwrap_or(bytes.len());
                continue;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b if b == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}
