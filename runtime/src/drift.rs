//! How the revision files on disk differ from the ones a binary embeds.
//! A leaf: it knows file names, nothing of migrators or runs.

use std::path::Path;

/// Revision files that differ between the versions directory on disk and
/// the binary (see `Migrations::files_not_embedded` and `check`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// On disk but not in the binary: added after the build, without a
    /// build script to notice (rebuild).
    pub missing: Vec<String>,
    /// In the binary but no longer on disk.
    pub gone: Vec<String>,
}

impl Drift {
    /// True when disk and binary agree (or the directory is not there).
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.gone.is_empty()
    }
}

/// The revision files a binary embeds: the directory the build read and
/// their names joined with `/` (which no file name holds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EmbeddedFiles {
    pub(crate) dir: &'static str,
    pub(crate) names: &'static str,
}

impl EmbeddedFiles {
    /// The drift between these files and the directory now; empty when it
    /// is not there (a deployed binary).
    pub(crate) fn drift(self) -> Drift {
        let Ok(on_disk) = retort_core::loader::revision_files(Path::new(self.dir)) else {
            return Drift::default();
        };
        let on_disk: Vec<String> =
            on_disk.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
        let embedded: Vec<&str> = self.names.split('/').filter(|f| !f.is_empty()).collect();
        let missing = on_disk.iter().filter(|f| !embedded.contains(&f.as_str())).cloned().collect();
        let gone = embedded.into_iter().filter(|f| !on_disk.iter().any(|d| d == f)).map(str::to_owned).collect();
        Drift { missing, gone }
    }
}
