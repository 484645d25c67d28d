//! A phone's push body: any bytes. Parsing never panics; every record it keeps has its id, and a
//! record with a control character anywhere is refused, not applied.
#![no_main]

use gridhub_store::input::control_char_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(push) = gridhub_sync::push::parse(data, 0, gridhub_sync::schema::VERSION) {
        for record in push.cases.iter().chain(&push.events).chain(&push.patrols).chain(&push.photos) {
            assert!(control_char_path(&record.raw).is_none(), "{:?}", record.raw);
        }
    }
});
