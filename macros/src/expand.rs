//! The expansion of `#[migrations]`, in phases: check the item and the
//! options, read the directory (once, in retort-core), validate the graph
//! (in retort-core), embed the revisions and generate the struct's API.
//! Every phase adds its errors to one list; on any error the one fallback
//! keeps the struct, with its API over no revisions, so that one bad file
//! is one error and not a cascade at every use.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use retort_core::loader::{FileRead, LoadedDir};
use retort_core::{Diagnostic, RevisionGraph};
use syn::{DeriveInput, LitStr};

use crate::args::Args;

/// Errors collected across phases.
type Errors = Vec<syn::Error>;

/// The whole expansion of `#[migrations]` on `item`.
pub fn expand(args: &Args, item: &DeriveInput) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => path.parse::<syn::Path>().map(|path| quote!(#path)),
        None => Ok(quote!(::retort)),
    };
    let result = match &krate {
        Ok(krate) => try_expand(args, item, krate),
        Err(err) => Err(vec![err.clone()]),
    };
    match result {
        Ok(tokens) => tokens,
        Err(errors) => fallback(item, krate.as_ref().unwrap_or(&quote!(::retort)), &errors),
    }
}

/// The phases, each adding to the errors; generation only when there are
/// none.
fn try_expand(args: &Args, item: &DeriveInput, krate: &TokenStream) -> Result<TokenStream, Errors> {
    let started = Instant::now();
    let mut errors = check_item(item);
    errors.extend(check_options(args));
    let source = Source::read(args)?;
    let loaded = started.elapsed();
    let graph = match validate(args, &source) {
        Ok(graph) => graph,
        Err(found) => {
            errors.extend(found);
            return Err(errors);
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let embedded = embed(args, graph, &source).map_err(|err| vec![err])?;
    let tokens = generate(args, item, krate, &source, graph, embedded);
    if std::env::var_os("RETORT_MACRO_TIMING").is_some() {
        report_timing(args, graph.len(), started.elapsed(), loaded);
    }
    Ok(tokens)
}

/// The item must be a plain struct.
fn check_item(item: &DeriveInput) -> Errors {
    if item.generics.params.is_empty() && matches!(item.data, syn::Data::Struct(_)) {
        return Vec::new();
    }
    vec![syn::Error::new_spanned(&item.ident, "#[retort::migrations] goes on a plain struct: `pub struct Migrations;`")]
}

/// Option values that parse but cannot be used.
fn check_options(args: &Args) -> Errors {
    [("version_table", &args.version_table), ("version_table_schema", &args.version_table_schema)]
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value.as_ref()?;
            value
                .value()
                .trim()
                .is_empty()
                .then(|| syn::Error::new(value.span(), format!("`{name}` must not be empty")))
        })
        .collect()
}

/// The versions directory, read once.
struct Source {
    /// The crate's folder, which paths in messages are relative to.
    manifest_dir: PathBuf,
    /// The versions directory, absolute.
    dir: PathBuf,
    loaded: LoadedDir,
}

impl Source {
    fn read(args: &Args) -> Result<Source, Errors> {
        let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
            return Err(vec![syn::Error::new(args.dir.span(), "CARGO_MANIFEST_DIR is not set: build with cargo")]);
        };
        let dir = manifest_dir.join(args.dir.value());
        let loaded = LoadedDir::read(&dir);
        Ok(Source { manifest_dir, dir, loaded })
    }

    /// A problem as the compiler shows it, at the directory's literal, with
    /// paths relative to the crate.
    fn error(&self, args: &Args, problem: &Diagnostic) -> syn::Error {
        let prefix = format!("{}/", self.manifest_dir.display());
        syn::Error::new(args.dir.span(), problem.to_string().replace(&prefix, ""))
    }
}

/// The graph, or every problem of the files and the graph; an empty
/// directory and several heads (unless allowed) are errors here.
fn validate<'s>(args: &Args, source: &'s Source) -> Result<&'s RevisionGraph, Errors> {
    let graph = match &source.loaded.graph {
        Ok(graph) => graph,
        Err(problems) => return Err(problems.errors().map(|p| source.error(args, p)).collect()),
    };
    let mut problems = Vec::new();
    if graph.is_empty() {
        problems.push(retort_core::loader::empty_directory(Path::new(&args.dir.value())));
    }
    if !args.allow_multiple_heads {
        problems.extend(graph.multiple_heads().map(Diagnostic::into_error));
    }
    if !args.allow_untranslated {
        problems.extend(needs_python(graph));
    }
    if problems.is_empty() { Ok(graph) } else { Err(problems.iter().map(|p| source.error(args, p)).collect()) }
}

/// The `.py` revisions whose upgrade needs Python (not translated, no SQL
/// beside them) that every engine would have to run to build a new
/// database, past its newest baseline: then no new database can be built
/// from this binary. Where one engine's baseline covers them, the runtime
/// names them if another engine ever needs them.
fn needs_python(graph: &RevisionGraph) -> Vec<Diagnostic> {
    use retort_core::{Dialect, Direction};
    let runs = |dialect| {
        graph
            .plan_upgrade_from_baseline(retort_core::AT_BASE, "heads", dialect)
            .map(|plan| plan.revision_ids().into_iter().map(str::to_owned).collect::<std::collections::HashSet<_>>())
    };
    let (Ok(postgres), Ok(mysql), Ok(sqlite)) = (runs(Dialect::Postgres), runs(Dialect::MySql), runs(Dialect::Sqlite))
    else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for rev in graph.revisions() {
        if !(postgres.contains(&rev.id) && mysql.contains(&rev.id) && sqlite.contains(&rev.id)) {
            continue;
        }
        let Some(why) = rev.untranslated.iter().find(|u| u.direction == Direction::Upgrade && u.dialect.is_none())
        else {
            continue;
        };
        let stem = rev.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        problems.push(
            Diagnostic::error(format!("a new database would run the upgrade of {}, which needs Python: {}", rev.id, why.what))
                .at(&rev.path, why.line)
                .help(format!(
                    "write its SQL in {stem}.sql beside it, start new databases from a baseline past it (`retort baseline`), or add `allow_untranslated` when this binary never builds a new database"
                )),
        );
    }
    problems
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

/// The fallback for every error: the errors, and the item kept (with its
/// API over no revisions when it is a plain struct) so that its uses do
/// not add errors of their own.
fn fallback(item: &DeriveInput, krate: &TokenStream, errors: &[syn::Error]) -> TokenStream {
    let mut out: TokenStream = errors.iter().map(syn::Error::to_compile_error).collect();
    if item.generics.params.is_empty() {
        out.extend(skeleton(item, krate));
    } else {
        out.extend(quote!(#item));
    }
    out
}

fn report_timing(args: &Args, revisions: usize, total: Duration, loaded: Duration) {
    // For the compile-cost benchmark (bench/): how long the expansion took.
    eprintln!(
        "retort: expanded {revisions} revisions from {} in {:.1} ms (reading and validating {:.1} ms)",
        args.dir.value(),
        total.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3
    );
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
fn embed(args: &Args, graph: &RevisionGraph, source: &Source) -> Result<TokenStream, syn::Error> {
    use std::fmt::Write;
    let revisions = graph.revisions();
    let mut metas = String::with_capacity(revisions.len() * 300);
    let mut texts = String::with_capacity(revisions.len() * 60 + 20);
    let mut ends = String::with_capacity(revisions.len() * 12 + 8);
    let mut text_end: u64 = 0;
    texts.push_str("::core::concat!(");
    ends.push_str("&[");
    // Every parsed file is a revision of the graph or one of its baselines.
    let by_path: std::collections::HashMap<&Path, &retort_core::Revision> =
        revisions.iter().chain(graph.baselines()).map(|r| (r.path.as_path(), r)).collect();
    let files = source.loaded.files.iter().filter(|f| f.parsed);
    let text_of = |path: &Path| source.loaded.files.iter().find(|f| f.path == path).and_then(|f| f.text.as_ref());
    for (rev, file) in files.filter_map(|f| Some((*by_path.get(f.path.as_path())?, f))) {
        let relative = rev.path.strip_prefix(&source.manifest_dir).unwrap_or(&rev.path);
        metas.push_str(&retort_core::embed::encode(rev, relative));
        // The file the SQL is cut from: the revision's, or the `.sql`
        // beside a `.py`. `include_str!` embeds it byte for byte: the text
        // as read.
        let sql_path = rev.sql_path();
        let text = if rev.sql_file.is_some() { text_of(sql_path) } else { file.text.as_ref() };
        text_end += text.map_or(0, |t| t.len() as u64);
        // `{:?}` writes a string as a Rust string literal.
        let _ = write!(texts, "::core::include_str!({:?}),", sql_path.to_string_lossy());
        let _ = write!(ends, "{},{text_end},", metas.len());
    }
    if u32::try_from(text_end.max(metas.len() as u64)).is_err() {
        return Err(syn::Error::new(args.dir.span(), "retort embeds at most 4 GiB of revision files"));
    }
    texts.push(')');
    ends.push(']');
    let source = format!("metas: {metas:?}, texts: {texts}, ends: {ends},");
    // Straight to the compiler's lexer: proc_macro2's `parse` would first
    // check the text with its own lexer, which runs unoptimised (as proc
    // macros are built) and took longer than everything else here.
    match source.parse::<proc_macro::TokenStream>() {
        Ok(tokens) => Ok(tokens.into()),
        Err(err) => Err(syn::Error::new(args.dir.span(), format!("retort could not embed the revisions: {err}"))),
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

/// The struct and its API over the embedded set.
fn generate(
    args: &Args,
    item: &DeriveInput,
    krate: &TokenStream,
    source: &Source,
    graph: &RevisionGraph,
    revisions: TokenStream,
) -> TokenStream {
    let ident = &item.ident;
    // What the version table holds once a database is at `head` / `heads`,
    // so that a start at head compares one read with these and decodes
    // nothing.
    let rows_at = |target: &str| graph.plan_upgrade(retort_core::AT_BASE, target).ok().map(|p| p.heads_after());
    let rows_at_head = match rows_at("head") {
        Some(rows) => {
            let rows = strs(&rows);
            quote!(::core::option::Option::Some(#rows))
        }
        None => quote!(::core::option::Option::None),
    };
    let rows_at_heads = strs(&rows_at("heads").unwrap_or_default());
    // Joined with `/`, which no file name holds: one string, no relocations.
    let names: Vec<String> = source
        .loaded
        .files
        .iter()
        .filter_map(|f: &FileRead| f.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let names = lit(&names.join("/"));
    let dir_lit = lit(&source.dir.to_string_lossy());
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
                    #revisions
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
