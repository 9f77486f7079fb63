//! `GET /api/v1/me`: who is signed in, with what rights.

use axum::Json;
use serde_json::{Value, json};

use crate::web::auth::Viewer;

/// Who is asking: their user name, name, role, departments, and how they signed in.
pub async fn me(Viewer(who): Viewer) -> Json<Value> {
    let via = match &who.via {
        crate::auth::Via::Session { .. } => json!({ "kind": "session" }),
        crate::auth::Via::Token { id, name, meters, .. } => {
            json!({ "kind": "token", "id": id, "name": name, "meters": meters })
        }
    };
    Json(json!({
        "username": who.user.username,
        "display_name": who.user.display_name,
        "role": who.role(),
        "departments": who.user.departments,
        "via": via,
    }))
}
