//! Seeing schemas: a model of what a database holds, its canonical text and
//! fingerprint, and a comparison of two schemas.
//!
//! Introspection (in the runtime) reads a database into a [`Schema`] in
//! the engine's own words and calls [`Schema::normalize`]; everything here
//! is pure. The design follows the "dev database" idea: both sides of a
//! comparison come from databases of one engine, which print most
//! definitions in one form whatever their author wrote; what engines keep
//! as written is brought to one form by [`normalize`](Schema::normalize).
//!
//! ```
//! use retort_core::schema::{compare, Column, Name, Schema, Table};
//! use retort_core::Dialect;
//!
//! let table = |ty: &str| Table {
//!     name: Name::unqualified("account"),
//!     columns: vec![Column { name: "email".into(), data_type: ty.into(), nullable: true, ..Column::default() }],
//!     ..Table::default()
//! };
//! let mut a = Schema { dialect: Some(Dialect::Sqlite), ..Schema::default() };
//! a.tables.insert(Name::unqualified("account"), table("varchar (50)"));
//! let mut b = a.clone();
//! b.tables.insert(Name::unqualified("account"), table("VARCHAR(50)"));
//! a.normalize();
//! b.normalize();
//! assert!(compare(&a, &b).is_empty());
//! assert_eq!(a.fingerprint(), b.fingerprint());
//! ```

mod baseline;
mod canonical;
mod compare;
mod expr;
mod migrate;
mod model;
mod names;
mod normalize;
mod renames;
mod scan;
pub mod sqlite_ddl;
pub mod sqlite_index;

pub use baseline::{BaselineSql, TableRows, Value, baseline_sql};
pub use compare::{Change, ColumnAspect, Differences, Notice, column_aspects, compare};
pub use expr::{Identifiers, normalize_expression};
pub use migrate::{Migration, MigrationOptions, MigrationSql, MigrationStatement, migration};
pub use model::{
    Action, Check, Column, Deferrable, EnumType, ForeignKey, Generated, Identity, Index, IndexKey, Name, PrimaryKey,
    Routine, Schema, Sequence, Table, Trigger, Unique, View,
};
pub use names::{ConstraintKind, columns_named_in, is_generated_name, quote_identifier};
pub use normalize::{normalize_default, normalize_type};
pub use renames::{Rename, apply_renames, renames_in};

#[cfg(feature = "json")]
impl Schema {
    /// The model as one JSON document (maps written as lists).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

#[cfg(feature = "json")]
impl Differences {
    /// The differences as one JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
