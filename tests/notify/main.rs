//! The channels that leave Xanh, each against a real server on 127.0.0.1: e-mail through
//! aiosmtpd (STARTTLS or TLS, AUTH), webhooks through an axum receiver. The channels are
//! built as the service builds them: from config text and the environment.

#[path = "../common/mod.rs"]
mod common;

mod check_config;
mod email;
mod scheduled_reports;
mod webhook;

use xanh::config::Config;
use xanh::notify::{self, Address, Channel};

/// The channels `[notify]` in `notify_toml` configures, with `env` as the environment.
pub fn channels(notify_toml: &str, env: &[(&str, &str)]) -> Vec<Box<dyn Channel>> {
    let text = format!("[office]\nname = \"Văn phòng thử\"\n\n{notify_toml}");
    let config =
        Config::parse("xanh.toml", &text, &|name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    notify::channels(&config.notify, &config.source).unwrap_or_else(|e| panic!("{e}"))
}

/// The one channel that takes `to`.
pub fn channel_for<'a>(channels: &'a [Box<dyn Channel>], to: &Address) -> &'a dyn Channel {
    let mut taking = channels.iter().filter(|c| c.accepts(to));
    let channel = taking.next().unwrap_or_else(|| panic!("no channel takes {to:?}"));
    assert!(taking.next().is_none(), "two channels take {to:?}");
    channel.as_ref()
}
