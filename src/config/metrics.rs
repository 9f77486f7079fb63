//! `[metrics]`: where `/metrics` is served without credentials, for a Prometheus on the same
//! server or network. Without it, `/metrics` is on the web port for an admin's token only.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricsSection {
    /// An address with a port, e.g. "127.0.0.1:9464".
    pub(super) listen: Option<String>,
}
