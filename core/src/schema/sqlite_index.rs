//! What SQLite keeps of an index only in its `CREATE INDEX` text: the
//! expressions of expression keys (`pragma_index_xinfo` names columns
//! only) and a partial index's `WHERE` condition; and a view's query, which
//! exists only in its `CREATE VIEW` text.

use super::scan::{opens_quote, skip_quoted, split_top_level};

/// The keys and condition of a stored `CREATE INDEX` statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateIndex {
    /// Each key's text as written, without `ASC`/`DESC`, and whether it is
    /// `DESC`.
    pub keys: Vec<(String, bool)>,
    /// The `WHERE` condition of a partial index.
    pub predicate: Option<String>,
}

/// Reads `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (keys)
/// [WHERE condition]`; `None` when the text has no key list.
pub fn parse_create_index(sql: &str) -> Option<CreateIndex> {
    let bytes = sql.as_bytes();
    let open = find_top_level(sql, 0, b'(')?;
    let close = matching_close(bytes, open)?;
    let keys = split_top_level(&sql[open + 1..close], b',')
        .into_iter()
        .map(|key| {
            let key = key.trim();
            let upper = key.to_ascii_uppercase();
            if upper.ends_with(" DESC") {
                (key[..key.len() - 5].trim_end().to_owned(), true)
            } else if upper.ends_with(" ASC") {
                (key[..key.len() - 4].trim_end().to_owned(), false)
            } else {
                (key.to_owned(), false)
            }
        })
        .collect();
    let rest = skip_comments(&sql[close + 1..]);
    let predicate = rest
        .get(..5)
        .filter(|word| word.eq_ignore_ascii_case("where"))
        .map(|_| rest[5..].trim().trim_end_matches(';').trim_end().to_owned())
        .filter(|p| !p.is_empty());
    Some(CreateIndex { keys, predicate })
}

/// The query of a stored `CREATE [TEMP] VIEW [IF NOT EXISTS] name [(columns)]
/// AS query`, with its column list (when it has one) before it; `None` when
/// the text is not such a statement.
pub fn create_view_query(sql: &str) -> Option<String> {
    let bytes = sql.as_bytes();
    let mut i = 0;
    // Past the words before the name: CREATE, TEMP, VIEW, IF NOT EXISTS.
    loop {
        let rest = skip_comments(&sql[i..]);
        i = sql.len() - rest.len();
        let word: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        match word.to_ascii_uppercase().as_str() {
            "CREATE" | "TEMP" | "TEMPORARY" | "VIEW" | "IF" | "NOT" | "EXISTS" => i += word.len(),
            _ => break,
        }
    }
    // The name, perhaps quoted, perhaps `schema.name`.
    loop {
        match bytes.get(i) {
            Some(&b) if opens_quote(b) => i = skip_quoted(bytes, i)?,
            Some(&b) if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 => i += 1,
            Some(b'.') => i += 1,
            _ => break,
        }
    }
    let rest = skip_comments(&sql[i..]);
    i = sql.len() - rest.len();
    let mut columns = String::new();
    if rest.starts_with('(') {
        let close = matching_close(bytes, i)?;
        columns = format!("{} ", &sql[i..=close]);
        i = close + 1;
    }
    let rest = skip_comments(&sql[i..]);
    let query = rest.get(..2).filter(|w| w.eq_ignore_ascii_case("as")).map(|_| &rest[2..])?;
    Some(format!("{columns}{}", query.trim().trim_end_matches(';').trim_end()))
}

/// `text` past its leading white space and comments (`-- …`, `/* … */`).
fn skip_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("--") {
            text = rest.find('\n').map_or("", |end| &rest[end..]);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.find("*/").map_or("", |end| &rest[end + 2..]);
        } else {
            return text;
        }
    }
}

/// The position of the first `want` at nesting level 0 outside quotes.
fn find_top_level(text: &str, from: usize, want: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b if opens_quote(b) => i = skip_quoted(bytes, i)?,
            b if b == want => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The `)` that closes the `(` at `open`.
fn matching_close(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b if opens_quote(b) => {
                i = skip_quoted(bytes, i)?;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_condition_are_read_from_the_text() {
        let index =
            parse_create_index("CREATE INDEX ix ON t (lower(name), \"b\" DESC, c asc) WHERE deleted IS NULL").unwrap();
        assert_eq!(
            index.keys,
            [("lower(name)".to_owned(), false), ("\"b\"".to_owned(), true), ("c".to_owned(), false)]
        );
        assert_eq!(index.predicate.as_deref(), Some("deleted IS NULL"));
    }

    #[test]
    fn parentheses_and_commas_inside_strings_do_not_cut_keys() {
        let index = parse_create_index("CREATE UNIQUE INDEX \"a(b\" ON \"t(\" (substr(x, 1, 2), y || ',)')").unwrap();
        assert_eq!(index.keys.len(), 2);
        assert_eq!(index.keys[1].0, "y || ',)'");
        assert_eq!(index.predicate, None);
    }

    #[test]
    fn a_comment_before_where_keeps_the_condition_and_wide_characters_do_not_panic() {
        let index = parse_create_index("CREATE INDEX ix ON t(a) /*ééé*/ WHERE a>0").unwrap();
        assert_eq!(index.predicate.as_deref(), Some("a>0"));
        let index = parse_create_index("CREATE INDEX ix ON t(a) -- 部分索引\nWHERE a>0").unwrap();
        assert_eq!(index.predicate.as_deref(), Some("a>0"));
        assert_eq!(parse_create_index("CREATE INDEX ix ON t(a) 部分").unwrap().predicate, None);
    }

    #[test]
    fn a_views_query_is_what_follows_its_name_and_columns() {
        assert_eq!(
            create_view_query("CREATE VIEW v\nAS SELECT a AS b FROM t").as_deref(),
            Some("SELECT a AS b FROM t")
        );
        assert_eq!(
            create_view_query("CREATE VIEW IF NOT EXISTS \"my view\" (x, y) AS SELECT a, b FROM t;").as_deref(),
            Some("(x, y) SELECT a, b FROM t")
        );
        assert_eq!(create_view_query("create temp view main.v /* c */ as select 1").as_deref(), Some("select 1"));
        assert_eq!(create_view_query("CREATE VIEW"), None);
        assert_eq!(create_view_query("CREATE VIEW v (a"), None);
    }

    #[test]
    fn garbage_is_none_without_a_panic() {
        for text in ["", "CREATE INDEX", "CREATE INDEX x ON t (a", "((((", "'", "[unterminated"] {
            let _ = parse_create_index(text);
        }
        assert_eq!(parse_create_index("CREATE INDEX x ON t (a"), None);
    }
}
