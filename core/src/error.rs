//! Errors of identifier resolution and planning, worded as Alembic words
//! them (scripts and runbooks grep for these), each followed by what to do.

/// Why an identifier could not be resolved or a plan could not be made.
///
/// Messages start with Alembic's text where Alembic has one, so that
/// scripts written against Alembic still match them, and go on to say what
/// to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevisionError {
    /// No revision or label has this id, or the prefix is too short.
    #[error("Can't locate revision identified by '{id}'; {reason}")]
    NotFound {
        /// The identifier as given.
        id: String,
        /// Why, and what to do.
        reason: String,
    },
    /// A prefix matches several revisions.
    #[error("Can't locate revision identified by '{prefix}': several revisions start with it ({}); give more characters", .candidates.join(", "))]
    AmbiguousPrefix {
        /// The prefix as given.
        prefix: String,
        /// Every revision id starting with it.
        candidates: Vec<String>,
    },
    /// `head` (or `label@head`) names several revisions.
    #[error("Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@{argument}' to narrow to a specific head, or 'heads' for all heads (heads: {})", .heads.join(", "))]
    MultipleHeads {
        /// `head` or `label@head`.
        argument: String,
        /// The heads it could mean.
        heads: Vec<String>,
    },
    /// A label used in `label@…` is neither a label nor a revision.
    #[error(
        "Can't locate revision identified by '{0}'; no branch label or revision is called that (see `retort branches`)"
    )]
    NoSuchBranch(String),
    /// A revision named with a label is not on that label's branch.
    #[error("Revision {revision} is not a member of branch '{branch}'")]
    NotInBranch {
        /// The revision.
        revision: String,
        /// The label.
        branch: String,
    },
    /// The downgrade target is not below the database's current heads.
    #[error("Destination {target} is not a valid downgrade target from current head(s); it is not an ancestor of {}", list_or_base(.current))]
    NotADowngradeTarget {
        /// The target as given.
        target: String,
        /// The database's heads.
        current: Vec<String>,
    },
    /// A downgrade whose branch has nothing applied below the target
    /// (Alembic's wording).
    #[error("Not a valid downgrade target from current heads: {target} is not below {}", list_or_base(.current))]
    NotADowngradeTargetOnBranch {
        /// The target as given.
        target: String,
        /// The database's heads.
        current: Vec<String>,
    },
    /// `stamp` to `head` with several heads (Alembic's stamp wording).
    #[error("Multiple heads are present; please specify a single target revision (heads: {})", .0.join(", "))]
    StampMultipleHeads(Vec<String>),
    /// A relative walk from a named revision ran past the end of the graph.
    #[error("Walked too far: {0} is beyond the last revision in that direction")]
    WalkedTooFar(String),
    /// A history range whose ends are not on one line of descent.
    #[error("Requested range {start}:{end} does not refer to ancestor/descendant revisions along the same branch")]
    NotARange {
        /// The lower end.
        start: String,
        /// The upper end.
        end: String,
    },
    /// `+N` or `-N` walked past the end of the graph.
    #[error(
        "Relative revision {relative} didn't produce {count} migrations; there are fewer revisions in that direction"
    )]
    RelativeTooFar {
        /// The relative part as given (`+3`, `-2`).
        relative: String,
        /// How many steps were asked for.
        count: u64,
    },
    /// A relative walk reached a branch point or merge point.
    #[error("Ambiguous walk from {from}: it reaches several revisions ({}); name the one you mean, or its branch as `label@{relative}`", .candidates.join(", "))]
    AmbiguousWalk {
        /// Where the walk was when it forked.
        from: String,
        /// Where it could go.
        candidates: Vec<String>,
        /// The relative part as given.
        relative: String,
    },
    /// A relative upgrade from several current heads.
    #[error("Ambiguous upgrade from multiple current revisions ({}); name the branch, as in `label@+1`", .current.join(", "))]
    AmbiguousUpgrade {
        /// The database's heads.
        current: Vec<String>,
    },
    /// A relative downgrade from several current heads.
    #[error("downgrade {relative} from multiple heads is ambiguous ({}); name the branch, as in `<label>@{relative}` or `<head>{relative}`", .current.join(", "))]
    AmbiguousDowngrade {
        /// The relative part as given.
        relative: String,
        /// The database's heads.
        current: Vec<String>,
    },
    /// A downgrade would pass through revisions without downgrade SQL.
    #[error("cannot downgrade through irreversible revision(s) {}: they have no `-- downgrade` section; add one (an empty section is a deliberate no-op), or `stamp` past them", .0.join(", "))]
    Irreversible(Vec<String>),
    /// Two requested revisions where one contains the other.
    #[error("Requested revision {revision} overlaps with other requested revisions {}", .others.join(", "))]
    Overlap {
        /// The revision requested.
        revision: String,
        /// The requested revisions it overlaps with.
        others: Vec<String>,
    },
    /// A merge lists a parent that another of its parents descends from;
    /// Alembic fails with a KeyError here.
    #[error(
        "cannot upgrade through merge {revision}: it lists {parent}, which is already an ancestor of {other}, which it also lists; remove {parent} from its Revises or Depends On"
    )]
    RedundantParent {
        /// The merge revision.
        revision: String,
        /// The implied parent.
        parent: String,
        /// The parent that already descends from it.
        other: String,
    },
    /// The version table's rows contradict the graph (for example a row and
    /// its own ancestor, or a merge whose parents are not where they should
    /// be); Alembic crashes here.
    #[error("the version table's rows ({}) do not fit the revision graph: {detail}; repair it with `stamp --purge` to the revisions the database really is at", list_or_base(.current))]
    Inconsistent {
        /// The rows at the time.
        current: Vec<String>,
        /// What did not fit.
        detail: String,
    },
    /// An identifier that is not of any accepted form.
    #[error("invalid revision identifier '{id}': {reason}")]
    InvalidIdentifier {
        /// The identifier as given.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `start:end` range where one revision was expected (a command that
    /// runs SQL against a database; ranges are for `--sql` and `history`).
    #[error("Range revision not allowed")]
    RangeNotAllowed(String),
    /// A `downgrade --sql` without its starting revision.
    #[error("downgrade with --sql requires <fromrev>:<torev>")]
    RangeRequired(String),
    /// `stamp --sql` with ranges that start from different revisions.
    #[error("Stamp operation with --sql only supports a single starting revision at a time")]
    SeveralStampStarts(Vec<String>),
}

fn list_or_base(ids: &[String]) -> String {
    if ids.is_empty() { "base".to_owned() } else { ids.join(", ") }
}
