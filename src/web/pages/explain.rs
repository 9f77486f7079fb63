//! How a figure was computed, on the page: the status in colour and words, and the steps of
//! an `explain` under "Cách tính".

use maud::{Markup, html};

use crate::analysis::explain::Explain;
use crate::analysis::progress::Status;
use crate::locale::Lang;

/// The status as a coloured badge with its word (đạt / có nguy cơ / không đạt), or "—".
pub fn status_badge(status: Option<Status>, lang: Lang) -> Markup {
    let Some(status) = status else { return html! { "—" } };
    // The same codes as the API's `status`.
    let (class, code) = match status {
        Status::Dat => ("status-ok", "dat"),
        Status::CoNguyCo => ("status-risk", "co_nguy_co"),
        Status::KhongDat => ("status-bad", "khong_dat"),
    };
    let word = if lang == Lang::Vi { status.vietnamese() } else { status.english() };
    // One class attribute: maud keeps only the shorthand when both are given.
    html! { span class=(format!("badge {class}")) data-status=(code) { (word) } }
}

/// The steps of `explain`, folded under "Cách tính" (`label` says which figure).
pub fn explain_details(explain: &Explain, key: &str, label: &str, lang: Lang) -> Markup {
    html! {
        details.explain data-explain=(key) {
            summary { (lang.pick("Cách tính", "How it is computed")) " — " (label) }
            ol {
                @for line in &explain.lines {
                    li data-line=(line.key) { (if lang == Lang::Vi { &line.vi } else { &line.en }) }
                }
            }
        }
    }
}
