//! A street office's assignment sheet (CSV): any bytes. Reading it never panics, every row it
//! gives has its cell, person and duty, and a refusal names at most the first 100 problems.
#![no_main]

use gridhub_store::StoreError;
use gridhub_store::assignments::sheet::read;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match read(data) {
        Ok(rows) => {
            for r in rows {
                assert!(!r.cell_code.is_empty() && !r.user.is_empty() && !r.duty.is_empty());
            }
        }
        Err(StoreError::InvalidMany { first, .. }) => assert!(first.len() <= 100),
        Err(_) => {}
    }
});
