//! `#[retort::test]`: an async test function that takes a pool becomes a
//! `#[test]` that hands it a database of its own (`retort::testing::run`).

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitStr, Token};

/// The options `#[retort::test(…)]` knows, for the error about an unknown one.
const KNOWN: &str = "migrations = Type (or false), at = \"revision\", fixtures(\"name\", …), crate = \"…\"";

/// Which revisions the test's database is at.
enum Migrations {
    /// `Migrations`, as the test's scope names it.
    Default(Span),
    /// `migrations = path::To::Migrations`.
    Given(syn::Path),
    /// `migrations = false`: an empty database.
    None,
}

/// What `#[retort::test(…)]` says.
pub struct TestArgs {
    migrations: Migrations,
    at: Option<LitStr>,
    fixtures: Vec<LitStr>,
    krate: Option<LitStr>,
}

impl Parse for TestArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args =
            TestArgs { migrations: Migrations::Default(input.span()), at: None, fixtures: Vec::new(), krate: None };
        while !input.is_empty() {
            let name = input.call(Ident::parse_any)?;
            match name.to_string().as_str() {
                "migrations" => {
                    input.parse::<Token![=]>()?;
                    args.migrations = if input.peek(LitBool) {
                        let flag: LitBool = input.parse()?;
                        if flag.value {
                            return Err(syn::Error::new(
                                flag.span(),
                                "`migrations = true` is the default; name the type (`migrations = Migrations`) or say `false` for an empty database",
                            ));
                        }
                        Migrations::None
                    } else {
                        Migrations::Given(input.parse().map_err(|e| {
                            syn::Error::new(
                                e.span(),
                                "`migrations` takes the type `#[retort::migrations]` is on, or `false`",
                            )
                        })?)
                    };
                }
                "at" => {
                    input.parse::<Token![=]>()?;
                    args.at = Some(input.parse().map_err(|e| {
                        syn::Error::new(e.span(), "`at` takes a revision, as a string: at = \"ae1027a6acf\"")
                    })?);
                }
                "fixtures" => {
                    let content;
                    syn::parenthesized!(content in input);
                    let names = content.parse_terminated(<LitStr as Parse>::parse, Token![,])?;
                    args.fixtures.extend(names);
                }
                "crate" => {
                    input.parse::<Token![=]>()?;
                    args.krate = Some(input.parse()?);
                }
                other => {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("unknown option `{other}`; the options are: {KNOWN}"),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// The parts of the function the attribute is on, read from its tokens (a
/// full parse of Rust items would cost syn's `full` feature).
struct TestFn {
    /// Outer attributes (`#[ignore]`, `#[should_panic]`, docs).
    attrs: TokenStream,
    /// The visibility and qualifiers before `fn`.
    qualifiers: Vec<TokenTree>,
    name: Ident,
    /// The signature from the name's end to the body: the parameters and
    /// the return type.
    params: proc_macro2::Group,
    output: TokenStream,
    body: TokenStream,
}

fn read_fn(item: TokenStream) -> syn::Result<TestFn> {
    let mut tokens = item.clone().into_iter().peekable();
    let mut attrs = TokenStream::new();
    while let Some(TokenTree::Punct(p)) = tokens.peek() {
        if p.as_char() != '#' {
            break;
        }
        attrs.extend(tokens.next());
        attrs.extend(tokens.next());
    }
    let mut qualifiers = Vec::new();
    let not_a_fn = || syn::Error::new_spanned(&item, "#[retort::test] goes on an `async fn` that takes a pool");
    loop {
        match tokens.next() {
            Some(TokenTree::Ident(ident)) if ident == "fn" => break,
            Some(token) => qualifiers.push(token),
            None => return Err(not_a_fn()),
        }
    }
    if !qualifiers.iter().any(|t| matches!(t, TokenTree::Ident(i) if i == "async")) {
        return Err(syn::Error::new_spanned(&item, "#[retort::test] goes on an `async fn`: write `async fn`"));
    }
    let Some(TokenTree::Ident(name)) = tokens.next() else { return Err(not_a_fn()) };
    let params = match tokens.next() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => g,
        Some(other) => {
            return Err(syn::Error::new_spanned(
                other,
                "#[retort::test] functions are not generic: take a pool type such as sqlx::PgPool",
            ));
        }
        None => return Err(not_a_fn()),
    };
    let rest: Vec<TokenTree> = tokens.collect();
    let Some((TokenTree::Group(body), output)) = rest.split_last() else { return Err(not_a_fn()) };
    if body.delimiter() != Delimiter::Brace {
        return Err(not_a_fn());
    }
    Ok(TestFn {
        attrs,
        qualifiers,
        name,
        params,
        output: output.iter().cloned().collect(),
        body: TokenStream::from(TokenTree::Group(body.clone())),
    })
}

/// The number of parameters between the parentheses of a signature.
fn parameter_count(params: &proc_macro2::Group) -> usize {
    let mut count = 0;
    let mut in_one = false;
    let mut depth = 0_i32;
    for token in params.stream() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
            TokenTree::Punct(p) if p.as_char() == ',' && depth == 0 => {
                in_one = false;
                continue;
            }
            _ => {}
        }
        if !in_one {
            count += 1;
            in_one = true;
        }
    }
    count
}

/// The `#[test]` function.
pub fn expand(args: TestArgs, item: TokenStream) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => match path.parse::<syn::Path>() {
            Ok(path) => quote!(#path),
            Err(err) => return err.to_compile_error(),
        },
        None => quote!(::retort),
    };
    let TestFn { attrs, qualifiers, name, params, output, body } = match read_fn(item) {
        Ok(read) => read,
        Err(err) => return err.to_compile_error(),
    };
    if parameter_count(&params) != 1 {
        return syn::Error::new(
            params.span(),
            "a #[retort::test] function takes one argument, its database's pool: sqlx::PgPool, sqlx::MySqlPool, sqlx::SqlitePool, or retort::testing::TestPool for the engine the environment names",
        )
        .to_compile_error();
    }
    // `pub async` outside, `async` inside.
    let vis: TokenStream = qualifiers
        .iter()
        .take_while(|t| !matches!(t, TokenTree::Ident(i) if i == "async" || i == "unsafe" || i == "const"))
        .cloned()
        .collect();
    let migrations = match &args.migrations {
        Migrations::Default(span) => quote_spanned!(*span=> .migrations(<Migrations>::migrator())),
        Migrations::Given(path) => quote!(.migrations(<#path>::migrator())),
        Migrations::None => quote!(),
    };
    let at = args.at.as_ref().map(|at| quote!(.at(#at)));
    let fixtures = args.fixtures.iter().map(|fixture| {
        let name = fixture.value();
        let path = if name.ends_with(".sql") { name.clone() } else { format!("fixtures/{name}.sql") };
        let path = LitStr::new(&path, fixture.span());
        quote!(.fixture(#name, ::core::include_str!(#path)))
    });
    quote! {
        #[::core::prelude::v1::test]
        #attrs
        #vis fn #name() #output {
            async fn #name #params #output #body
            #krate::testing::run(
                #krate::testing::Setup::new(::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)))
                    #migrations
                    #at
                    #(#fixtures)*,
                #name,
            )
        }
    }
}
