//! Where photos' bytes live: an object store (`object_store`, a directory under `data_dir` by
//! default), each photo at `ab/abcdef…` by its SHA-256.

use object_store::path::Path;

/// The object of a photo's bytes.
pub fn object(sha: &str) -> Path {
    Path::from(format!("{}/{sha}", &sha[..2]))
}
