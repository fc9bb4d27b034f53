//! The `#[migrations("…")]` attribute of retort. An implementation detail
//! of the `retort` crate: depend on `retort` and write
//! `#[retort::migrations("alembic/versions")]`.
//!
//! The macro is thin: it reads its arguments, asks `retort-core` to read and
//! validate the versions directory, and turns the result into static data or
//! into compile errors, every one of them at once.

mod args;
mod expand;
mod test_attr;

use proc_macro::TokenStream;

/// Embeds a versions directory and validates its revision graph at compile
/// time. See the `retort` crate for the documentation.
#[proc_macro_attribute]
pub fn migrations(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match syn::parse::<args::Args>(args) {
        Ok(args) => args,
        Err(err) => return with_skeleton(err, item),
    };
    let item = match syn::parse::<syn::DeriveInput>(item.clone()) {
        Ok(item) => item,
        Err(err) => return err.to_compile_error().into(),
    };
    expand::expand(&args, &item).into()
}

/// Turns an `async fn` taking a pool into a test that gets a database of
/// its own at head. See `retort::testing` for the documentation.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match syn::parse::<test_attr::TestArgs>(args) {
        Ok(args) => args,
        Err(err) => return err.to_compile_error().into(),
    };
    test_attr::expand(args, item.into()).into()
}

/// The error, and the struct as written so that uses of it do not cascade.
fn with_skeleton(err: syn::Error, item: TokenStream) -> TokenStream {
    let mut out: TokenStream = err.to_compile_error().into();
    if let Ok(item) = syn::parse::<syn::DeriveInput>(item) {
        out.extend(TokenStream::from(expand::skeleton(&item, &quote::quote!(::retort))));
    }
    out
}
