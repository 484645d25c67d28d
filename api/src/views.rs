//! How records are shown over HTTP when more than one route shows them: a user (their phone
//! masked for those who do not manage them), a case with its point in the caller's `crs`.

use gridhub_geo::Crs;
use gridhub_store::cases::CaseView;
use gridhub_store::people::user::{User, mask_phone};
use serde_json::{Value, json};

/// A user as JSON, the phone masked unless `whole`.
pub fn user_json(user: &User, whole: bool) -> Value {
    let mut v = serde_json::to_value(user).expect("a user serializes");
    if !whole && let Some(phone) = &user.phone {
        v["phone"] = json!(mask_phone(phone));
    }
    v
}

/// A case as JSON, its coordinates in `crs`.
pub fn case_json(v: &CaseView, out: Crs) -> Value {
    let mut j = json!(v);
    let (lng, lat) = out.from_wgs84(v.case.lng, v.case.lat);
    j["lng"] = json!(lng);
    j["lat"] = json!(lat);
    j["crs"] = json!(out.as_str());
    j
}
