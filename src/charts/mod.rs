//! Charts that travel without the page (in e-mails and reports): pure functions from figures
//! to PNG bytes, with no dependency on the web layer, so alerts and reports can both draw them.

pub mod night;

use std::sync::OnceLock;

/// DejaVu Sans renders Vietnamese stacked diacritics correctly; plotters measures text with it.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the embedded font as plotters' "sans-serif", once per process; false when it
/// could not be loaded (then no chart can be drawn).
pub fn register_font() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED
        .get_or_init(|| plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, FONT).is_ok())
}
