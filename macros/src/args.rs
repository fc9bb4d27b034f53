//! The attribute's arguments: `"dir"` then options.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// The options the attribute knows, for the error about an unknown one.
pub const KNOWN: &str = "allow_multiple_heads, allow_missing_build_script, allow_untranslated, version_table = \"…\", version_table_schema = \"…\", crate = \"…\"";

/// What `#[migrations(…)]` says.
pub struct Args {
    /// The versions directory, relative to the crate's manifest directory.
    pub dir: LitStr,
    /// Several heads are deliberate.
    pub allow_multiple_heads: bool,
    /// Do not warn that the crate has no build script.
    pub allow_missing_build_script: bool,
    /// Accept `.py` revisions whose upgrade needs Python even where a new
    /// database would have to run them (this binary never builds one).
    pub allow_untranslated: bool,
    /// The version table's name.
    pub version_table: Option<LitStr>,
    /// The version table's schema.
    pub version_table_schema: Option<LitStr>,
    /// The path of the `retort` crate, if renamed.
    pub krate: Option<LitStr>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected the versions directory: #[retort::migrations(\"alembic/versions\")]"));
        }
        let dir: LitStr = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "the first argument is the versions directory, as a string: #[retort::migrations(\"alembic/versions\")]")
        })?;
        let mut args = Args {
            dir,
            allow_multiple_heads: false,
            allow_missing_build_script: false,
            allow_untranslated: false,
            version_table: None,
            version_table_schema: None,
            krate: None,
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let name = input.call(Ident::parse_any)?;
            let value = |input: ParseStream<'_>| -> syn::Result<LitStr> {
                if !input.peek(Token![=]) {
                    return Err(syn::Error::new(name.span(), format!("`{name}` takes a value: {name} = \"…\"")));
                }
                input.parse::<Token![=]>()?;
                input.parse().map_err(|e| syn::Error::new(e.span(), format!("`{name}` takes a string: {name} = \"…\"")))
            };
            match name.to_string().as_str() {
                "allow_multiple_heads" => args.allow_multiple_heads = true,
                "allow_missing_build_script" => args.allow_missing_build_script = true,
                "allow_untranslated" => args.allow_untranslated = true,
                "version_table" => args.version_table = Some(value(input)?),
                "version_table_schema" => args.version_table_schema = Some(value(input)?),
                "crate" => args.krate = Some(value(input)?),
                other => {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("unknown option `{other}`; the options are: {KNOWN}"),
                    ));
                }
            }
        }
        Ok(args)
    }
}
