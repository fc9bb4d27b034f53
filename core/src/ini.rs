//! `alembic.ini` as Python's `configparser` reads it for Alembic
//! (`ConfigParser` with basic interpolation and `here` among the
//! defaults): sections, `key = value` and `key: value`, keys lower-cased,
//! full-line `#` and `;` comments (never inline ones), continuation lines
//! indented deeper than their key, `%(name)s` and `%%` expanded when a value
//! is read, and every error `configparser` raises, at its line.
//!
//! Differential tests against Python's own `configparser` live in
//! `core/tests/ini.rs`.

use std::collections::BTreeMap;
use std::fmt;

/// `configparser`'s limit on nested `%(name)s` references.
const MAX_DEPTH: usize = 10;

/// A parsed ini file: its `[DEFAULT]` values and its sections, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    defaults: BTreeMap<String, String>,
    sections: Vec<(String, BTreeMap<String, String>)>,
}

/// Why an ini file cannot be read or a value expanded (`configparser`'s
/// errors, in its words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IniError {
    /// A line before any `[section]`.
    #[error("line {line}: File contains no section headers; the first setting must follow a `[section]` line")]
    MissingSectionHeader {
        /// 1-based line.
        line: usize,
    },
    /// A line that is neither a section, a setting nor a comment.
    #[error("line {line}: Source contains parsing errors: {text:?} is not `key = value`")]
    Parsing {
        /// 1-based line.
        line: usize,
        /// The line.
        text: String,
    },
    /// A section written twice.
    #[error("line {line}: section '{section}' already exists")]
    DuplicateSection {
        /// 1-based line.
        line: usize,
        /// The section.
        section: String,
    },
    /// A key written twice in one section.
    #[error("line {line}: option '{option}' in section '{section}' already exists")]
    DuplicateOption {
        /// 1-based line.
        line: usize,
        /// The section.
        section: String,
        /// The key.
        option: String,
    },
    /// `%(name)s` naming a key that is not there.
    #[error(
        "Bad value substitution: option '{option}' in section '{section}' contains an interpolation key '{missing}' which is not a valid option name"
    )]
    MissingReference {
        /// The section.
        section: String,
        /// The key whose value refers.
        option: String,
        /// The key it names.
        missing: String,
    },
    /// A `%` not followed by `%` or `(name)s`.
    #[error(
        "'%' must be followed by '%' or '(', found: {found:?} in option '{option}' of section '{section}' (write %% for a literal %)"
    )]
    Syntax {
        /// The section.
        section: String,
        /// The key.
        option: String,
        /// The value from the bad `%` on.
        found: String,
    },
    /// References nested deeper than `configparser` follows (a cycle).
    #[error("Recursion limit exceeded in value substitution: option '{option}' in section '{section}'")]
    TooDeep {
        /// The section.
        section: String,
        /// The key.
        option: String,
    },
}

impl Ini {
    /// Parses `text`; `defaults` are known in every section before the
    /// file's own `[DEFAULT]` (Alembic passes `here`, the file's folder).
    ///
    /// ```
    /// use retort_core::ini::Ini;
    /// let text = "[alembic]\nscript_location = %(here)s/migrations\n# a comment\nversion_locations =\n    a\n    b\n";
    /// let ini = Ini::parse(text, &[("here", "/app")]).unwrap();
    /// assert_eq!(ini.get("alembic", "script_location").unwrap().as_deref(), Some("/app/migrations"));
    /// assert_eq!(ini.get("alembic", "version_locations").unwrap().as_deref(), Some("\na\nb"));
    /// ```
    pub fn parse(text: &str, defaults: &[(&str, &str)]) -> Result<Ini, IniError> {
        let mut ini = Ini {
            defaults: defaults.iter().map(|(k, v)| (k.to_lowercase(), (*v).to_owned())).collect(),
            ..Ini::default()
        };
        Reader::default().read(text, &mut ini)?;
        Ok(ini)
    }

    /// The section names, in file order (without `DEFAULT`).
    pub fn sections(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|(name, _)| name.as_str())
    }

    /// The keys of `section`, its own and the defaults, sorted.
    pub fn keys(&self, section: &str) -> Vec<&str> {
        let mut keys: Vec<&str> = self.defaults.keys().map(String::as_str).collect();
        if let Some(own) = self.section(section) {
            keys.extend(own.keys().map(String::as_str));
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The value of `key` in `section` (or the defaults), interpolated;
    /// `None` when neither has it.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, IniError> {
        let key = key.to_lowercase();
        match self.raw(section, &key) {
            Some(raw) => self.interpolate(section, &key, raw, 1).map(Some),
            None => Ok(None),
        }
    }

    fn section(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.sections.iter().find(|(n, _)| n == name).map(|(_, values)| values)
    }

    fn raw(&self, section: &str, key: &str) -> Option<&str> {
        self.section(section).and_then(|s| s.get(key)).or_else(|| self.defaults.get(key)).map(String::as_str)
    }

    /// `configparser`'s BasicInterpolation of `value`, the value of `option`.
    fn interpolate(&self, section: &str, option: &str, value: &str, depth: usize) -> Result<String, IniError> {
        if depth > MAX_DEPTH {
            return Err(IniError::TooDeep { section: section.to_owned(), option: option.to_owned() });
        }
        let syntax = |found: &str| IniError::Syntax {
            section: section.to_owned(),
            option: option.to_owned(),
            found: found.to_owned(),
        };
        percent_format(value, syntax, |name| {
            let name = name.to_lowercase();
            let Some(target) = self.raw(section, &name) else {
                return Err(IniError::MissingReference {
                    section: section.to_owned(),
                    option: option.to_owned(),
                    missing: name,
                });
            };
            if target.contains('%') {
                self.interpolate(section, option, target, depth + 1)
            } else {
                Ok(target.to_owned())
            }
        })
    }
}

/// Python's `%` formatting by name, as `configparser` and Alembic's TOML
/// reading use it: `%%` is `%`, `%(name)s` is what `lookup` gives for
/// `name`, and any other `%` is `bad(the rest of the value from it)`.
pub(crate) fn percent_format<E>(
    value: &str,
    bad: impl Fn(&str) -> E,
    mut lookup: impl FnMut(&str) -> Result<String, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("%%") {
            out.push('%');
            rest = after;
            continue;
        }
        // `%(name)s`: a name without `)`, then `)s` at once.
        let reference = rest.strip_prefix("%(").and_then(|r| {
            let end = r.find(')').filter(|&end| end > 0)?;
            Some((&r[..end], r[end + 1..].strip_prefix('s')?))
        });
        let Some((name, after)) = reference else { return Err(bad(rest)) };
        out.push_str(&lookup(name)?);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// The state of `configparser`'s line loop.
#[derive(Default)]
struct Reader {
    /// The current section (`Some("DEFAULT")` for the defaults).
    section: Option<String>,
    /// The key whose value continuation lines extend, and its lines.
    option: Option<(String, Vec<String>)>,
    /// The indentation of the line that started the current key or section.
    indent: usize,
}

impl Reader {
    fn read(mut self, text: &str, ini: &mut Ini) -> Result<(), IniError> {
        let mut seen: Vec<(String, String)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let stripped = line.trim();
            if stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            if stripped.is_empty() {
                // An empty line inside a value stays in it (trailing ones
                // are trimmed when the value ends).
                if let Some((_, lines)) = &mut self.option {
                    lines.push(String::new());
                }
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if self.option.is_some() && indent > self.indent {
                if let Some((_, lines)) = &mut self.option {
                    lines.push(stripped.to_owned());
                }
                continue;
            }
            self.finish(ini);
            self.indent = indent;
            if let Some(name) = section_header(stripped) {
                let name = name.to_owned();
                if name != "DEFAULT" {
                    if ini.section(&name).is_some() {
                        return Err(IniError::DuplicateSection { line: number, section: name });
                    }
                    ini.sections.push((name.clone(), BTreeMap::new()));
                }
                self.section = Some(name);
                continue;
            }
            let Some(section) = &self.section else {
                return Err(IniError::MissingSectionHeader { line: number });
            };
            let Some((key, value)) = split_option(stripped) else {
                return Err(IniError::Parsing { line: number, text: line.to_owned() });
            };
            let key = key.to_lowercase();
            if seen.iter().any(|(s, k)| s == section && *k == key) {
                return Err(IniError::DuplicateOption { line: number, section: section.clone(), option: key });
            }
            seen.push((section.clone(), key.clone()));
            self.option = Some((key, vec![value.to_owned()]));
        }
        self.finish(ini);
        Ok(())
    }

    /// Stores the value being read, its lines joined and trailing empty
    /// lines and white space trimmed.
    fn finish(&mut self, ini: &mut Ini) {
        let (Some(section), Some((key, lines))) = (&self.section, self.option.take()) else { return };
        let value = lines.join("\n").trim_end().to_owned();
        let values = if section == "DEFAULT" {
            &mut ini.defaults
        } else {
            match ini.sections.iter_mut().find(|(n, _)| n == section) {
                Some((_, values)) => values,
                None => return,
            }
        };
        values.insert(key, value);
    }
}

/// `[name]` at the start of a (stripped) line; as `configparser`'s pattern,
/// the name runs to the last `]`.
fn section_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?;
    let end = inner.rfind(']')?;
    (end > 0).then(|| &inner[..end])
}

/// `key = value` or `key: value`, split at the first `=` or `:`; the key
/// must not be empty.
fn split_option(line: &str) -> Option<(&str, &str)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim_end();
    (!key.is_empty()).then(|| (key, line[at + 1..].trim()))
}

impl fmt::Display for Ini {
    /// The parsed values (not interpolated), one `[section]` after another.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, values) in
            std::iter::once(("DEFAULT", &self.defaults)).chain(self.sections.iter().map(|(n, v)| (n.as_str(), v)))
        {
            writeln!(f, "[{name}]")?;
            for (key, value) in values {
                writeln!(f, "{key} = {value}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_comments_and_case() {
        let text = "[alembic]\nScript_Location = db\nurl: a\n  b\n\n  # not part of it\n  c\n\nnext = 1\n";
        let ini = Ini::parse(text, &[]).unwrap();
        assert_eq!(ini.get("alembic", "script_location").unwrap().as_deref(), Some("db"));
        assert_eq!(ini.get("alembic", "url").unwrap().as_deref(), Some("a\nb\n\nc"));
        assert_eq!(ini.get("alembic", "next").unwrap().as_deref(), Some("1"));
        assert_eq!(ini.get("alembic", "missing").unwrap(), None);
    }

    #[test]
    fn interpolation_and_its_errors() {
        let text = "[DEFAULT]\nroot = %(here)s/app\n[alembic]\nloc = %(root)s/v\npct = 100%%\nbad = 5%\nnone = %(nope)s\nloop = %(loop)s\n";
        let ini = Ini::parse(text, &[("here", "/p")]).unwrap();
        assert_eq!(ini.get("alembic", "loc").unwrap().as_deref(), Some("/p/app/v"));
        assert_eq!(ini.get("alembic", "pct").unwrap().as_deref(), Some("100%"));
        assert!(matches!(ini.get("alembic", "bad"), Err(IniError::Syntax { .. })));
        assert!(matches!(ini.get("alembic", "none"), Err(IniError::MissingReference { .. })));
        assert!(matches!(ini.get("alembic", "loop"), Err(IniError::TooDeep { .. })));
    }

    #[test]
    fn structural_errors_name_their_line() {
        assert_eq!(Ini::parse("key = 1\n", &[]), Err(IniError::MissingSectionHeader { line: 1 }));
        assert!(matches!(Ini::parse("[a]\n[a]\n", &[]), Err(IniError::DuplicateSection { line: 2, .. })));
        assert!(matches!(Ini::parse("[a]\nx=1\nX=2\n", &[]), Err(IniError::DuplicateOption { line: 3, .. })));
        assert!(matches!(Ini::parse("[a]\njust words\n", &[]), Err(IniError::Parsing { line: 2, .. })));
    }
}
