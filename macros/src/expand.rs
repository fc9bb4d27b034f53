//! Read → validate (both in retort-core) → expand: the revisions become
//! static data, or every problem becomes a compile error at the attribute.

use std::path::{Path, PathBuf};

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use retort_core::{Diagnostic, Revision, RevisionGraph};
use syn::{DeriveInput, LitStr};

use crate::args::Args;

/// The whole expansion of `#[migrations]` on `item`.
pub fn expand(args: &Args, item: &DeriveInput) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => match path.parse::<syn::Path>() {
            Ok(path) => quote!(#path),
            Err(err) => {
                let mut out = err.to_compile_error();
                out.extend(skeleton(item, &quote!(::retort)));
                return out;
            }
        },
        None => quote!(::retort),
    };
    if !item.generics.params.is_empty() || !matches!(item.data, syn::Data::Struct(_)) {
        let err = syn::Error::new_spanned(
            &item.ident,
            "#[retort::migrations] goes on a plain struct: `pub struct Migrations;`",
        );
        let mut out = err.to_compile_error();
        // Keep the item (and, without generics, its API) so that its uses
        // do not add errors of their own.
        if item.generics.params.is_empty() {
            out.extend(skeleton(item, &krate));
        } else {
            out.extend(quote!(#item));
        }
        return out;
    }
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        let err = syn::Error::new(args.dir.span(), "CARGO_MANIFEST_DIR is not set: build with cargo");
        return err.to_compile_error();
    };
    let dir = manifest_dir.join(args.dir.value());
    let started = std::time::Instant::now();
    let mut errors: Vec<syn::Error> = Vec::new();
    let error = |message: String| syn::Error::new(args.dir.span(), message);

    let graph = match retort_core::load_dir(&dir) {
        Ok(graph) => Some(graph),
        Err(problems) => {
            for problem in problems.errors() {
                errors.push(error(render(problem, &manifest_dir)));
            }
            None
        }
    };
    let loaded = started.elapsed();
    let files = retort_core::loader::revision_files(&dir).unwrap_or_default();
    if let Some(graph) = &graph {
        if graph.is_empty() {
            errors.push(error(format!(
                "the versions directory '{}' holds no revision files\n  = help: create the first with `retort revision -m \"…\"`, or point the attribute at the directory that holds them",
                args.dir.value()
            )));
        }
        let heads = graph.heads();
        if heads.len() > 1 && !args.allow_multiple_heads {
            errors.push(error(format!(
                "Multiple head revisions are present: {}\n  = help: merge them with `retort merge -m \"merge heads\" heads`, or allow them with #[retort::migrations(\"{}\", allow_multiple_heads)]",
                heads.join(", "),
                args.dir.value()
            )));
        }
    }
    for (name, value) in [("version_table", &args.version_table), ("version_table_schema", &args.version_table_schema)]
    {
        if let Some(value) = value
            && value.value().trim().is_empty()
        {
            errors.push(syn::Error::new(value.span(), format!("`{name}` must not be empty")));
        }
    }

    let mut out = TokenStream::new();
    for err in &errors {
        out.extend(err.to_compile_error());
    }
    // Without a valid graph, a typed skeleton: the same API over nothing, so
    // that one bad file is one error, not a cascade at every use of the struct.
    let valid = graph.as_ref().filter(|_| errors.is_empty());
    let files = if valid.is_some() { files } else { Vec::new() };
    out.extend(generate(args, item, &krate, &manifest_dir, &dir, valid, &files));
    let revisions = valid.map_or(&[][..], RevisionGraph::revisions);
    if std::env::var_os("RETORT_MACRO_TIMING").is_some() {
        // For the compile-cost benchmark (bench/): how long the expansion took.
        eprintln!(
            "retort: expanded {} revisions from {} in {:.1} ms (reading and validating {:.1} ms)",
            revisions.len(),
            args.dir.value(),
            started.elapsed().as_secs_f64() * 1e3,
            loaded.as_secs_f64() * 1e3
        );
    }
    out
}

/// The struct and its API over no revisions, for arguments that could not
/// be read.
pub fn skeleton(item: &DeriveInput, krate: &TokenStream) -> TokenStream {
    let ident = &item.ident;
    let api = api(krate);
    quote! {
        #item
        impl #ident {
            #[doc(hidden)]
            fn __retort_set() -> &'static #krate::__private::v1::EmbeddedSet {
                static EMPTY: #krate::__private::v1::EmbeddedSet = #krate::__private::v1::EmbeddedSet {
                    dir: "", files: "", metas: "", texts: "", ends: &[], version_table: "alembic_version", version_table_schema: ::core::option::Option::None,
                    rows_at_head: ::core::option::Option::None, rows_at_heads: &[], migrator: #krate::__private::v1::OnceLock::new(),
                };
                &EMPTY
            }
            #api
        }
    }
}

/// A diagnostic as the compiler shows it, with paths relative to the crate.
fn render(problem: &Diagnostic, manifest_dir: &Path) -> String {
    let prefix = format!("{}/", manifest_dir.display());
    problem.to_string().replace(&prefix, "")
}

fn lit(s: &str) -> Literal {
    Literal::string(s)
}

fn strs(items: &[String]) -> TokenStream {
    let items = items.iter().map(|s| lit(s));
    quote!(&[#(#items),*])
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => {
            let v = lit(v);
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// The fields `metas`, `texts` and `ends` of the embedded set: every
/// revision's parsed form in retort-core's compact text encoding, one
/// string for all; the files' texts through `include_str!` under one
/// `concat!` (which also makes cargo rebuild the crate whenever a file
/// changes); and where each revision ends in both. Plain numbers and two
/// strings need no relocation when the program starts, where a pair of
/// pointers per revision made the dynamic loader patch 30,000 pointers, and
/// fault in their pages, at 10,000 revisions. Written as source text for
/// the compiler's lexer, one call for all of them: building the tokens one
/// by one costs the unoptimised macro about 30 µs a revision.
fn revisions(revisions: &[Revision], manifest_dir: &Path) -> Result<TokenStream, syn::Error> {
    use std::fmt::Write;
    let mut metas = String::with_capacity(revisions.len() * 300);
    let mut texts = String::with_capacity(revisions.len() * 60 + 20);
    let mut ends = String::with_capacity(revisions.len() * 12 + 8);
    let mut text_end: u64 = 0;
    texts.push_str("::core::concat!(");
    ends.push_str("&[");
    for rev in revisions {
        let relative = rev.path.strip_prefix(manifest_dir).unwrap_or(&rev.path);
        metas.push_str(&retort_core::embed::encode(rev, relative));
        // `include_str!` embeds the file byte for byte.
        let length = match std::fs::metadata(&rev.path) {
            Ok(metadata) => metadata.len(),
            Err(err) => {
                let message = format!("retort could not read {}: {err}", rev.path.display());
                return Err(syn::Error::new(Span::call_site(), message));
            }
        };
        text_end += length;
        // `{:?}` writes a string as a Rust string literal.
        let _ = write!(texts, "::core::include_str!({:?}),", rev.path.to_string_lossy());
        let _ = write!(ends, "{},{text_end},", metas.len());
    }
    if u32::try_from(text_end.max(metas.len() as u64)).is_err() {
        let message = "retort embeds at most 4 GiB of revision files";
        return Err(syn::Error::new(Span::call_site(), message));
    }
    texts.push(')');
    ends.push(']');
    let source = format!("metas: {metas:?}, texts: {texts}, ends: {ends},");
    // Straight to the compiler's lexer: proc_macro2's `parse` would first
    // check the text with its own lexer, which runs unoptimised (as proc
    // macros are built) and took longer than everything else here.
    match source.parse::<proc_macro::TokenStream>() {
        Ok(tokens) => Ok(tokens.into()),
        Err(err) => Err(syn::Error::new(Span::call_site(), format!("retort could not embed the revisions: {err}"))),
    }
}

/// The methods of the struct, over the set `set` returns.
fn api(krate: &TokenStream) -> TokenStream {
    quote! {
        /// The migrator over the embedded revisions, built on first use.
        pub fn migrator() -> &'static #krate::Migrator {
            Self::__retort_set().migrator()
        }

        /// Upgrades the database to `target` (`"head"`, `"heads"`, an id…);
        /// at `head` this costs one query.
        pub async fn upgrade<'a>(
            db: impl ::core::convert::Into<#krate::Db<'a>>,
            target: &::core::primitive::str,
        ) -> ::core::result::Result<#krate::Report, #krate::Error> {
            Self::__retort_set().upgrade(db, target).await
        }

        /// Downgrades the database to `target` (`"base"`, `"-1"`, an id…).
        pub async fn downgrade<'a>(
            db: impl ::core::convert::Into<#krate::Db<'a>>,
            target: &::core::primitive::str,
        ) -> ::core::result::Result<#krate::Report, #krate::Error> {
            Self::migrator().downgrade(db, target).await
        }

        /// The version table's rows (`current`).
        pub async fn current<'a>(
            db: impl ::core::convert::Into<#krate::Db<'a>>,
        ) -> ::core::result::Result<::std::vec::Vec<::std::string::String>, #krate::Error> {
            Self::migrator().current(db).await
        }

        /// The revisions an upgrade to `heads` would apply, without changing
        /// anything (for readiness probes).
        pub async fn pending<'a>(
            db: impl ::core::convert::Into<#krate::Db<'a>>,
        ) -> ::core::result::Result<::std::vec::Vec<::std::string::String>, #krate::Error> {
            Self::migrator().pending(db).await
        }

        /// Revision files on disk that this binary does not embed (added after
        /// it was built), and embedded ones no longer on disk; both empty when
        /// the directory is not there, as in a deployed binary.
        pub fn files_not_embedded() -> #krate::Drift {
            Self::__retort_set().drift()
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn generate(
    args: &Args,
    item: &DeriveInput,
    krate: &TokenStream,
    manifest_dir: &Path,
    dir: &Path,
    graph: Option<&RevisionGraph>,
    files: &[PathBuf],
) -> TokenStream {
    let ident = &item.ident;
    let revs = match revisions(graph.map_or(&[][..], RevisionGraph::revisions), manifest_dir) {
        Ok(revs) => revs,
        Err(err) => {
            let mut out = err.to_compile_error();
            out.extend(skeleton(item, krate));
            return out;
        }
    };
    // What the version table holds once a database is at `head` / `heads`,
    // so that a start at head compares one read with these and decodes
    // nothing.
    let rows_at =
        |target: &str| graph.and_then(|g| g.plan_upgrade(&[] as &[&str], target).ok()).map(|p| p.heads_after());
    let rows_at_head = match rows_at("head") {
        Some(rows) => {
            let rows = strs(&rows);
            quote!(::core::option::Option::Some(#rows))
        }
        None => quote!(::core::option::Option::None),
    };
    let rows_at_heads = strs(&rows_at("heads").unwrap_or_default());
    // Joined with `/`, which no file name holds: one string, no relocations.
    let names: Vec<String> =
        files.iter().filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    let names = lit(&names.join("/"));
    let dir_lit = lit(&dir.to_string_lossy());
    let table = lit(&args.version_table.as_ref().map_or_else(|| "alembic_version".to_owned(), LitStr::value));
    let schema = option_str(args.version_table_schema.as_ref().map(LitStr::value).as_deref());
    let api = api(krate);
    let build_script = build_script_warning(args);
    quote! {
        #item

        #build_script

        impl #ident {
            #[doc(hidden)]
            fn __retort_set() -> &'static #krate::__private::v1::EmbeddedSet {
                static SET: #krate::__private::v1::EmbeddedSet = #krate::__private::v1::EmbeddedSet {
                    dir: #dir_lit,
                    files: #names,
                    #revs
                    version_table: #table,
                    version_table_schema: #schema,
                    rows_at_head: #rows_at_head,
                    rows_at_heads: #rows_at_heads,
                    migrator: #krate::__private::v1::OnceLock::new(),
                };
                &SET
            }

            #api
        }
    }
}

/// Without a build script, cargo cannot know that a file was added to or
/// removed from the versions directory, and a stale binary would ship: say
/// so, with the one line that fixes it. (Proc macros cannot warn on stable
/// Rust; a use of a deprecated item is the way to get a warning out.)
fn build_script_warning(args: &Args) -> TokenStream {
    if args.allow_missing_build_script || std::env::var_os("OUT_DIR").is_some() {
        return TokenStream::new();
    }
    let note = format!(
        "retort: this crate has no build script, so adding or removing a file in '{}' will not rebuild it. \
         Add build.rs: fn main() {{ println!(\"cargo:rerun-if-changed={}\"); }} \
         (or say allow_missing_build_script)",
        args.dir.value(),
        args.dir.value()
    );
    let span: Span = args.dir.span();
    quote_spanned! {span=>
        const _: () = {
            #[deprecated(note = #note)]
            struct AddBuildScript;
            let _ = AddBuildScript;
        };
    }
}
